//! How the axum router is built: one method router per exact path, every route's methods
//! on it, each path under its guard; the built-in endpoints; JSON 404/405 answers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodFilter, MethodRouter};

use super::builtins::{self, Builtin};
use super::def::HttpRouteDef;
use super::guard::{Guard, GuardConfig, Guarded, RouteStats};
use crate::app::App;
use crate::observe::metrics::Metrics;
use crate::registry::RouteProblem;

/// The router serving `defs` and `builtins`, which [`super::routes::clashes`] found clear.
pub(crate) fn build(
    defs: &[&'static HttpRouteDef],
    builtins: &[Builtin],
    app: &App,
) -> Result<Router, Vec<RouteProblem>> {
    let mut guards = Guards::new(app);
    let by_path = method_routers(defs, &mut guards)?;
    // axum reports a route it cannot take (an invalid path, a conflict the clash check does
    // not know of) by panicking: make it a startup problem like any other.
    let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        combine(by_path, builtins, &mut guards).with_state(app.clone())
    }));
    built.map_err(|panic| {
        let text = crate::dispatch::panic_message(&*panic);
        vec![RouteProblem::worker(format!(
            "the HTTP routes cannot be combined: {text}"
        ))]
    })
}

/// The guards of one router: one (and one set of metrics) per path template, shared by its
/// methods.
struct Guards<'a> {
    config: Arc<GuardConfig>,
    metrics: &'a Metrics,
    by_template: HashMap<String, Guard>,
}

impl<'a> Guards<'a> {
    fn new(app: &'a App) -> Guards<'a> {
        let settings = app.settings();
        Guards {
            config: Arc::new(GuardConfig {
                body_limit: settings.http_body_limit,
                request_timeout: settings.http_request_timeout,
            }),
            metrics: app.metrics(),
            by_template: HashMap::new(),
        }
    }

    /// The guard of `template`, made on first use.
    fn get(&mut self, template: &str) -> Guard {
        self.by_template
            .entry(template.to_owned())
            .or_insert_with(|| Guard {
                config: Arc::clone(&self.config),
                stats: Arc::new(RouteStats::new(self.metrics, template)),
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
        for path in def.paths {
            let endpoint = factory.method_router(filter, guards.get(path));
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
/// 405, any other path a 404, both in JSON and under a guard (so they are counted too).
fn combine(
    by_path: Vec<(&'static str, MethodRouter<App>)>,
    builtins: &[Builtin],
    guards: &mut Guards<'_>,
) -> Router<App> {
    let not_allowed = |guard: Guard| Guarded {
        handler: builtins::method_not_allowed,
        guard,
    };
    let mut router: Router<App> = Router::new();
    for (path, endpoint) in by_path {
        router = router.route(path, endpoint.fallback(not_allowed(guards.get(path))));
    }
    for builtin in builtins {
        let guard = guards.get(&builtin.path);
        let endpoint = builtin.method_router(guard.clone());
        router = router.route(&builtin.path, endpoint.fallback(not_allowed(guard)));
    }
    router.fallback(Guarded {
        handler: builtins::not_found,
        guard: guards.get("unmatched"),
    })
}
