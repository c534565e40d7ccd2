//! HTTP routes: `#[route(http = ["/", "/users/{id}"], methods = ["GET", "POST"])]` on any
//! [axum](https://docs.rs/axum/0.8) handler, served next to the consumers with health, metrics
//! and hardening built in.
//!
//! ```no_run
//! use asyncworker::prelude::*;
//! use asyncworker::http::{Json, Path, Query};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Paging { limit: Option<u32> }
//!
//! #[derive(Deserialize, Serialize)]
//! struct User { id: u64, name: String }
//!
//! struct Db;
//!
//! #[route(http = ["/users/{id}"])]
//! async fn get_user(_db: State<Db>, Path(id): Path<u64>, Query(p): Query<Paging>) -> Json<User> {
//!     let _ = p.limit;
//!     Json(User { id, name: "ada".into() })
//! }
//!
//! /// The body extractor comes last, as in axum.
//! #[route(http = ["/users"], methods = ["POST", "PUT"])]
//! async fn save_user(app: App, Json(user): Json<User>) -> Json<User> {
//!     let _ = app.is_shutting_down();
//!     Json(user)
//! }
//!
//! #[on_startup]
//! async fn init(app: &App) -> Result<(), asyncworker::StateError> {
//!     app.insert(Db)
//! }
//!
//! asyncworker::main!();
//! ```
//!
//! Handlers are plain axum handlers: any extractor of axum works (`HeaderMap`, `Method`, `Uri`,
//! `String`, `Bytes`, the types of [`axum`] re-exported here), plus asyncworker's
//! [`State<T>`](crate::State) and [`App`]. Use this module's [`Json`], [`Path`] and [`Query`]
//! rather than axum's: they behave the same but reject bad input with a JSON body
//! (`{"error": "...", "status": 400}`), like every error the server produces itself.
//!
//! # What the server does for you
//!
//! | situation | answer |
//! |---|---|
//! | unknown path | 404, JSON body |
//! | known path, other method | 405 with `Allow`, JSON body |
//! | malformed JSON / wrong content type / JSON of the wrong shape | 400 / 415 / 422, JSON body |
//! | body over `ASYNCWORKER_HTTP_BODY_LIMIT` (2 MiB) | 413 at once when `Content-Length` says so, else as soon as the limit is crossed; never buffered beyond the limit |
//! | request not answered within `ASYNCWORKER_HTTP_REQUEST_TIMEOUT` (30 s) | 408 |
//! | request head not received within `ASYNCWORKER_HTTP_HEADER_READ_TIMEOUT` (30 s), or an idle keep-alive connection | connection closed |
//! | more than `ASYNCWORKER_HTTP_MAX_CONNECTIONS` (1024) connections | the extra ones wait in the listen backlog |
//! | handler panics | 500, JSON body; the server keeps serving |
//! | shutdown (SIGTERM) | stops accepting, closes idle connections, finishes in-flight requests within `ASYNCWORKER_SHUTDOWN_TIMEOUT` |
//!
//! Built in (unless `ASYNCWORKER_HTTP_ENABLED=false`): `GET /health/live`, `GET /health/ready`
//! (503 with the parts not ready: startup, each AMQP consumer) and `GET /metrics` (Prometheus);
//! the paths are settings. Every request is counted in `asyncworker_http_requests_total{route,
//! method, status}` and timed in `asyncworker_http_request_duration_seconds{route, method}`, with
//! the route's path template (`/users/{id}`) as `route`.

mod builtins;
mod extract;
mod guard;
mod handler;
mod server;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{MethodFilter, MethodRouter};
use tokio_util::sync::CancellationToken;

pub use axum;
pub use axum::body::{Body, Bytes};
pub use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
pub use axum::response::{Html, IntoResponse, Redirect, Response};
pub use extract::{HttpError, Json, Path, Query};
pub use handler::{HttpExtractor, HttpHandler, HttpLastArg, HttpResponse};

use self::guard::{Guard, GuardConfig, Guarded, RouteStats};
use crate::app::App;
use crate::backend::{Backend, CheckFuture, CheckLine, Preparation, RouteProblem, StateNeed};
use crate::handler::StateRequirement;
use crate::registry::Filter;
use crate::registry::RouteDef as _;

/// What the code `#[route(http = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::HttpRouteDef;
    pub use super::handler::{
        HttpFactory, ProbeOther, ProbeState, StateNeeds, StateProbe, assert_http_extractor,
        assert_http_last_arg, assert_http_return, http_factory,
    };
}

/// A registered HTTP route, as `#[route(http = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct HttpRouteDef {
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub paths: &'static [&'static str],
    /// Upper-case method names, validated by the macro.
    pub methods: &'static [&'static str],
    pub factory: fn() -> handler::HttpFactory,
    pub required_state: fn(&mut Vec<StateRequirement>),
}

inventory::collect!(HttpRouteDef);

crate::registry::route_def!(HttpRouteDef);

/// The method filter of a method name the macro accepted.
fn method_filter(name: &str) -> Option<MethodFilter> {
    Some(match name {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        "PATCH" => MethodFilter::PATCH,
        "HEAD" => MethodFilter::HEAD,
        "OPTIONS" => MethodFilter::OPTIONS,
        "TRACE" => MethodFilter::TRACE,
        "CONNECT" => MethodFilter::CONNECT,
        _ => return None,
    })
}

/// A path with its parameter names erased: `/users/{id}` and `/users/{name}` are the same
/// route to the router.
fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    let mut wildcard = false;
    for c in path.chars() {
        match c {
            '{' if !in_param => {
                in_param = true;
                wildcard = false;
                out.push('{');
            }
            '*' if in_param => wildcard = true,
            '}' if in_param => {
                in_param = false;
                if wildcard {
                    out.push('*');
                }
                out.push('}');
            }
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

/// Where a route comes from, for startup errors.
#[derive(Clone)]
struct Origin {
    what: String,
}

/// The HTTP server of a worker: its routes (if any) and the built-in endpoints (if enabled).
pub(crate) struct HttpBackend {
    defs: Vec<&'static HttpRouteDef>,
    router: Router,
    builtins: Vec<String>,
    config: server::ServerConfig,
}

/// The HTTP routes of a worker (registered with `#[route(http = ...)]`), if any, and the
/// built-in endpoints. Nothing is bound yet; every clash is reported at once.
pub(crate) fn prepare(
    filter: &Filter,
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Preparation {
    let _ = lookup;
    let defs = crate::registry::routes::<HttpRouteDef>(filter);
    let settings = app.settings();
    if defs.is_empty() && !settings.http_enabled {
        return Ok(None);
    }

    let mut problems = Vec::new();
    // Built-in endpoints first, so a user route on one of their paths names both.
    let builtins: Vec<(&str, &str, &str)> = if settings.http_enabled {
        vec![
            (
                settings.http_live_path.as_str(),
                "liveness endpoint",
                "ASYNCWORKER_HTTP_LIVE_PATH",
            ),
            (
                settings.http_ready_path.as_str(),
                "readiness endpoint",
                "ASYNCWORKER_HTTP_READY_PATH",
            ),
            (
                settings.http_metrics_path.as_str(),
                "metrics endpoint",
                "ASYNCWORKER_HTTP_METRICS_PATH",
            ),
        ]
    } else {
        Vec::new()
    };
    let mut shapes: HashMap<String, (String, Origin)> = HashMap::new();
    for (path, what, var) in &builtins {
        let origin = Origin {
            what: format!("the built-in {what} ({var})"),
        };
        if let Some((_, first)) = shapes.insert(path_shape(path), ((*path).to_owned(), origin)) {
            problems.push(RouteProblem::worker(format!(
                "`{path}` is the path of both {} and another built-in endpoint; give each its own path",
                first.what
            )));
        }
    }
    let builtin_shapes: Vec<String> = builtins.iter().map(|(p, _, _)| path_shape(p)).collect();

    // (method, shape) -> who routes it; shape -> exact path and who used it first.
    let mut routed: HashMap<(&str, String), Origin> = HashMap::new();
    for def in &defs {
        let origin = Origin {
            what: format!("route `{}` at {}", def.name, def.location()),
        };
        for path in def.paths {
            let shape = path_shape(path);
            if builtin_shapes.contains(&shape) {
                let builtin = &shapes[&shape].1;
                problems.push(RouteProblem::of(*def, format!(
                    "uses `{path}`, the path of {}; pick another path for the route, or move the endpoint with that setting",
                    builtin.what
                )));
                continue;
            }
            match shapes.get(&shape) {
                Some((exact, first)) if exact != path => problems.push(RouteProblem::worker(format!(
                    "`{exact}` ({}) and `{path}` ({}) differ only in their parameter names; the router cannot tell them apart: use the same names",
                    first.what, origin.what
                ))),
                Some(_) => {}
                None => {
                    shapes.insert(shape.clone(), ((*path).to_owned(), origin.clone()));
                }
            }
            for method in def.methods {
                if let Some(first) = routed.insert((method, shape.clone()), origin.clone()) {
                    problems.push(RouteProblem::worker(format!(
                        "`{method} {path}` is routed twice: by {} and by {}",
                        first.what, origin.what
                    )));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let config = Arc::new(GuardConfig {
        body_limit: settings.http_body_limit,
        request_timeout: settings.http_request_timeout,
    });
    // One guard (and one set of metrics) per path template, shared by its methods.
    let mut guards: HashMap<String, Guard> = HashMap::new();
    let mut guard = |template: &str| {
        guards
            .entry(template.to_owned())
            .or_insert_with(|| Guard {
                config: Arc::clone(&config),
                stats: Arc::new(RouteStats::new(app.metrics(), template)),
            })
            .clone()
    };

    // One method router per exact path, holding every route's methods on it.
    let mut by_path: Vec<(&'static str, MethodRouter<App>)> = Vec::new();
    for def in &defs {
        let factory = (def.factory)();
        let mut filter: Option<MethodFilter> = None;
        for m in def.methods {
            let Some(f) = method_filter(m) else {
                problems.push(RouteProblem::of(*def, format!("unknown HTTP method `{m}`")));
                continue;
            };
            filter = Some(filter.map_or(f, |all| all.or(f)));
        }
        let Some(filter) = filter else { continue };
        for path in def.paths {
            let endpoint = factory.method_router(filter, guard(path));
            match by_path.iter_mut().find(|(p, _)| p == path) {
                Some((_, existing)) => {
                    let taken = std::mem::take(existing);
                    *existing = taken.merge(endpoint);
                }
                None => by_path.push((path, endpoint)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut router: Router<App> = Router::new();
        let not_allowed = |guard: Guard| Guarded {
            handler: builtins::method_not_allowed,
            guard,
        };
        for (path, endpoint) in by_path {
            router = router.route(path, endpoint.fallback(not_allowed(guard(path))));
        }
        for (path, _, _) in &builtins {
            let g = guard(path);
            let endpoint: MethodRouter<App> = if *path == settings.http_live_path {
                axum::routing::get(Guarded {
                    handler: builtins::live,
                    guard: g.clone(),
                })
            } else if *path == settings.http_ready_path {
                axum::routing::get(Guarded {
                    handler: builtins::ready,
                    guard: g.clone(),
                })
            } else {
                axum::routing::get(Guarded {
                    handler: builtins::metrics,
                    guard: g.clone(),
                })
            };
            router = router.route(path, endpoint.fallback(not_allowed(g)));
        }
        router
            .fallback(Guarded {
                handler: builtins::not_found,
                guard: guard("unmatched"),
            })
            .with_state(app.clone())
    }));
    let router = match built {
        Ok(r) => r,
        Err(panic) => {
            let text = crate::dispatch::panic_message(&*panic);
            return Err(vec![RouteProblem::worker(format!(
                "the HTTP routes cannot be combined: {text}"
            ))]);
        }
    };
    Ok(Some(Box::new(HttpBackend {
        defs,
        router,
        builtins: builtins.iter().map(|(p, _, _)| (*p).to_owned()).collect(),
        config: server::ServerConfig {
            host: settings.http_host.clone(),
            port: settings.http_port,
            header_read_timeout: settings.http_header_read_timeout,
            max_connections: settings.http_max_connections,
        },
    })))
}

impl Backend for HttpBackend {
    fn kind(&self) -> &'static str {
        "http"
    }

    /// One line per user route; the built-in endpoints are logged when the server starts.
    fn describe(&self) -> Vec<String> {
        self.defs
            .iter()
            .map(|d| {
                format!(
                    "http  {:<20} {} {}  ({})",
                    d.name,
                    d.methods.join(","),
                    d.paths.join(" "),
                    d.location()
                )
            })
            .collect()
    }

    fn required_state(&self) -> Vec<StateNeed> {
        self.defs
            .iter()
            .flat_map(|d| {
                let mut needs = Vec::new();
                (d.required_state)(&mut needs);
                needs.into_iter().map(|s| (d.name, d.location(), s))
            })
            .collect()
    }

    /// One line for the server: its address can be bound. The listener is released at once,
    /// so the check never accepts a connection; it binds exactly as startup would, so a taken
    /// port or a host that is not local fails here with the same OS error.
    fn check<'a>(&'a self, app: &'a App) -> CheckFuture<'a> {
        let _ = app;
        Box::pin(async move {
            let c = &self.config;
            let what = {
                let mut w = format!("{} route(s)", self.defs.len());
                if !self.builtins.is_empty() {
                    w.push_str(&format!(", built-in {}", self.builtins.join(" ")));
                }
                w
            };
            let line = match server::bind(c).await {
                Ok(listener) => {
                    drop(listener);
                    let port = if c.port == 0 {
                        "0 (a free port is picked at start)".to_owned()
                    } else {
                        c.port.to_string()
                    };
                    CheckLine {
                        ok: true,
                        line: format!("http server: {}:{port} can be bound; {what}", c.host),
                    }
                }
                Err(e) => CheckLine {
                    ok: false,
                    line: format!("http server: {e}; {what}"),
                },
            };
            vec![line]
        })
    }

    fn run(
        self: Box<Self>,
        app: App,
        stop: CancellationToken,
        deadline: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'static>> {
        Box::pin(async move {
            let listener = server::bind(&self.config).await?;
            let addr: SocketAddr = listener
                .local_addr()
                .map_err(|e| format!("cannot read the HTTP listener's address: {e}"))?;
            app.set_http_addr(addr);
            tracing::info!(
                %addr,
                builtins = ?self.builtins,
                routes = self.defs.len(),
                "HTTP server listening on http://{addr}"
            );
            server::serve(listener, self.router, &self.config, stop, deadline).await;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_erase_parameter_names() {
        assert_eq!(path_shape("/users/{id}"), "/users/{}");
        assert_eq!(path_shape("/users/{name}/x"), "/users/{}/x");
        assert_eq!(path_shape("/files/{*rest}"), "/files/{*}");
        assert_eq!(path_shape("/"), "/");
    }
}
