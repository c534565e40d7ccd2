//! How the axum router is built: one method router per exact path, every route's methods
//! on it (each under its own layers), each path under its guard and the worker's layers; the
//! built-in endpoints, outside every layer; JSON 404/405 answers.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodFilter, MethodRouter};

use super::builtins::{self, Builtin};
use super::def::HttpRouteDef;
use super::guard::{Guard, GuardConfig, Guarded, RouteStats};
use super::layers::{CountLayer, Layers};
use super::shed::{InFlight, Shedder};
use crate::app::App;
use crate::observe::metrics::{Metrics, RouteLabels};
use crate::registry::RouteProblem;

/// The router serving `defs` and `builtins`, which [`super::routes::clashes`] found clear,
/// with `layers` around every route of `defs`; `openapi` is the document it serves.
pub(crate) fn build(
    defs: &[&'static HttpRouteDef],
    builtins: &[Builtin],
    layers: &Layers,
    app: &App,
    openapi: &Arc<str>,
) -> Result<Router, Vec<RouteProblem>> {
    let mut guards = Guards::new(app, defs, layers);
    // axum reports a route it cannot take (an invalid path, a conflict the clash check does
    // not know of) by panicking, and so may a layer: make it a startup problem like any other.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let by_path = method_routers(defs, &mut guards)?;
        let router = combine(by_path, builtins, layers, &mut guards, openapi);
        Ok(router.with_state(app.clone()))
    }));
    built.unwrap_or_else(|panic| {
        let text = crate::dispatch::panic_message(&*panic);
        Err(vec![RouteProblem::worker(format!(
            "the HTTP routes cannot be combined: {text}"
        ))])
    })
}

/// The guards of one router: one (and one set of metrics) per path template, shared by its
/// methods.
struct Guards<'a> {
    config: Arc<GuardConfig>,
    metrics: &'a Metrics,
    /// The limit of `ASYNCWORKER_HTTP_MAX_IN_FLIGHT`, shared by every user route; `None`: none.
    in_flight: Option<Arc<InFlight>>,
    /// The paths with layers around them (the worker's, or a route's own).
    layered: HashSet<&'static str>,
    by_template: HashMap<String, Guard>,
}

impl<'a> Guards<'a> {
    fn new(app: &'a App, defs: &[&'static HttpRouteDef], layers: &Layers) -> Guards<'a> {
        let settings = app.settings();
        let layered = defs
            .iter()
            .filter(|d| d.layers.is_some() || !layers.is_empty())
            .flat_map(|d| d.paths.iter().copied())
            .collect();
        Guards {
            config: Arc::new(GuardConfig {
                body_limit: settings.http_body_limit,
                request_timeout: settings.http_request_timeout,
            }),
            metrics: app.metrics(),
            in_flight: (settings.http_max_in_flight > 0)
                .then(|| InFlight::new(settings.http_max_in_flight)),
            layered,
            by_template: HashMap::new(),
        }
    }

    /// The guard of the user's path `template`, made on first use: it sheds load.
    fn get(&mut self, template: &str) -> Guard {
        self.make(template, true)
    }

    /// The guard of a built-in endpoint or of the 404 answer: never shed.
    fn builtin(&mut self, template: &str) -> Guard {
        self.make(template, false)
    }

    fn make(&mut self, template: &str, sheds: bool) -> Guard {
        let marks = self.layered.contains(template);
        let shed = self
            .in_flight
            .as_ref()
            .filter(|_| sheds)
            .map(|in_flight| Shedder {
                in_flight: Arc::clone(in_flight),
                shed: self
                    .metrics
                    .http_shed
                    .get_or_create(&RouteLabels {
                        route: template.to_owned(),
                    })
                    .clone(),
            });
        self.by_template
            .entry(template.to_owned())
            .or_insert_with(|| Guard {
                config: Arc::clone(&self.config),
                stats: Arc::new(RouteStats::new(self.metrics, template, marks)),
                shed,
            })
            .clone()
    }
}

/// One method router per exact path, holding every route's methods on it (two routes may
/// share a path with different methods).
fn method_routers(
    defs: &[&'static HttpRouteDef],
    guards: &mut Guards<'_>,
) -> Result<Vec<(&'static str, MethodRouter<App>)>, Vec<RouteProblem>> {
    let mut problems = Vec::new();
    let mut by_path: Vec<(&'static str, MethodRouter<App>)> = Vec::new();
    for def in defs {
        let Some(filter) = method_filter(def, &mut problems) else {
            continue;
        };
        let factory = (def.factory)();
        let own = def.layers.map(|layers| layers());
        for path in def.paths {
            let mut endpoint = factory.method_router(filter, guards.get(path));
            if let Some(own) = &own {
                endpoint = own.apply(endpoint);
            }
            match by_path.iter_mut().find(|(p, _)| p == path) {
                Some((_, existing)) => {
                    let taken = std::mem::take(existing);
                    *existing = taken.merge(endpoint);
                }
                None => by_path.push((path, endpoint)),
            }
        }
    }
    if problems.is_empty() {
        Ok(by_path)
    } else {
        Err(problems)
    }
}

/// The methods of `def` as one filter; each name the router does not know is a problem.
fn method_filter(
    def: &'static HttpRouteDef,
    problems: &mut Vec<RouteProblem>,
) -> Option<MethodFilter> {
    let mut filter: Option<MethodFilter> = None;
    for m in def.methods {
        let Some(f) = method(m) else {
            problems.push(RouteProblem::of(def, format!("unknown HTTP method `{m}`")));
            continue;
        };
        filter = Some(filter.map_or(f, |all| all.or(f)));
    }
    filter
}

/// The method filter of a method name the macro accepted.
fn method(name: &str) -> Option<MethodFilter> {
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

/// The routes and the built-in endpoints in one router: another method on a known path is a
/// 405, any other path a 404, both in JSON and under a guard (so they are counted too). The
/// worker's `layers` wrap each path of the routes, its 405 included (a CORS preflight is an
/// `OPTIONS` the route may not have); a path with layers is counted outside them too.
fn combine(
    by_path: Vec<(&'static str, MethodRouter<App>)>,
    builtins: &[Builtin],
    layers: &Layers,
    guards: &mut Guards<'_>,
    openapi: &Arc<str>,
) -> Router<App> {
    let not_allowed = |guard: Guard| Guarded {
        handler: builtins::method_not_allowed,
        guard,
    };
    let mut router: Router<App> = Router::new();
    for (path, endpoint) in by_path {
        let guard = guards.get(path);
        let mut endpoint = layers.apply(endpoint.fallback(not_allowed(guard.clone())));
        if guards.layered.contains(path) {
            endpoint = endpoint.layer(CountLayer { stats: guard.stats });
        }
        router = router.route(path, endpoint);
    }
    for builtin in builtins {
        let guard = guards.builtin(&builtin.path);
        let endpoint = builtin.method_router(guard.clone(), openapi);
        router = router.route(&builtin.path, endpoint.fallback(not_allowed(guard)));
    }
    router.fallback(Guarded {
        handler: builtins::not_found,
        guard: guards.builtin("unmatched"),
    })
}
