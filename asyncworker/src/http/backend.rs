//! The HTTP backend: the routes and built-in endpoints prepared into one router, listed,
//! checked (`--check` binds the address) and served.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio_util::sync::CancellationToken;

use super::builtins::Builtin;
use super::def::HttpRouteDef;
use super::server::{self, ServerConfig};
use crate::app::App;
use crate::backend::{Backend, CheckFuture, CheckLine, Preparation, StateNeed};
use crate::future::BoxFuture;
use crate::registry::Filter;
use crate::registry::RouteDef as _;
use crate::registry::RouteProblem;

/// The HTTP server of a worker: its routes (if any) and the built-in endpoints (if enabled).
struct HttpBackend {
    defs: Vec<&'static HttpRouteDef>,
    builtins: Vec<Builtin>,
    config: ServerConfig,
    /// The OpenAPI document, as served and as `--openapi` prints it.
    openapi: Arc<str>,
}

/// The HTTP routes of a worker (registered with `#[route(http = ...)]`), if any, and the
/// built-in endpoints. Nothing is bound yet; every clash is reported at once.
pub(crate) fn prepare(
    filter: &Filter,
    app: &App,
    _lookup: &dyn Fn(&str) -> Option<String>,
) -> Preparation {
    Ok(HttpBackend::new(filter, app)?.map(|b| Box::new(b) as Box<dyn Backend>))
}

/// The router [`prepare`] serves, to be called in process rather than served (feature
/// `testing`), once the startup hooks have run: the same routes, layers, built-in endpoints,
/// guards and JSON answers. What the accept loop adds (the header read timeout, the
/// connection cap, the header size limit) has no socket to act on.
#[cfg(feature = "testing")]
pub(crate) fn in_process(filter: &Filter, app: &App) -> Result<Option<Router>, Vec<RouteProblem>> {
    HttpBackend::new(filter, app)?
        .map(|b| b.router(app))
        .transpose()
}

impl HttpBackend {
    /// The server of the routes `filter` keeps; `None` when it would serve nothing (no route
    /// and the built-in endpoints disabled).
    fn new(filter: &Filter, app: &App) -> Result<Option<HttpBackend>, Vec<RouteProblem>> {
        let defs = crate::registry::routes::<HttpRouteDef>(filter);
        let settings = app.settings();
        if defs.is_empty() && !settings.http_enabled {
            return Ok(None);
        }
        let builtins = Builtin::all(settings);
        let problems = super::routes::clashes(&defs, &builtins);
        if !problems.is_empty() {
            return Err(problems);
        }
        let openapi = super::openapi::document(&defs, &builtins, settings);
        let backend = HttpBackend {
            defs,
            builtins,
            config: ServerConfig::new(settings),
            openapi: serde_json::to_string_pretty(&openapi)
                .unwrap_or_default()
                .into(),
        };
        // Built now so that `--routes` and `--check` report what axum refuses; built again
        // once the startup hooks have added their layers.
        let _checked = backend.router(app)?;
        Ok(Some(backend))
    }

    /// The router of these routes, under the worker's layers as they are now.
    fn router(&self, app: &App) -> Result<Router, Vec<RouteProblem>> {
        let layers = super::layers::worker_layers(app);
        super::router::build(&self.defs, &self.builtins, &layers, app, &self.openapi)
    }

    /// The paths of the built-in endpoints, for the logs.
    fn builtin_paths(&self) -> Vec<&str> {
        self.builtins.iter().map(|b| b.path.as_str()).collect()
    }

    /// What the server serves, for `--check`: `"2 route(s), built-in /health/live ..."`.
    fn summary(&self) -> String {
        let mut s = format!("{} route(s)", self.defs.len());
        if !self.builtins.is_empty() {
            s.push_str(&format!(", built-in {}", self.builtin_paths().join(" ")));
        }
        s
    }
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

    fn openapi(&self) -> Option<Arc<str>> {
        Some(Arc::clone(&self.openapi))
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
            let what = self.summary();
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
    ) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(async move {
            let router = self.router(&app).map_err(|problems| {
                let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
                all.join("; ")
            })?;
            let listener = server::bind(&self.config).await?;
            let addr: SocketAddr = listener
                .local_addr()
                .map_err(|e| format!("cannot read the HTTP listener's address: {e}"))?;
            app.set_http_addr(addr);
            tracing::info!(
                %addr,
                builtins = ?self.builtin_paths(),
                routes = self.defs.len(),
                "HTTP server listening on http://{addr}"
            );
            server::serve(listener, router, &self.config, stop, deadline).await;
            Ok(())
        })
    }
}
