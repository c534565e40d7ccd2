//! What `#[route]` and the hook attributes registered, collected with `inventory`, sorted
//! deterministically (inventory's order is unspecified) and checked before anything starts.

use std::fmt::Write as _;

use crate::hooks::{HookDef, HookKind};
use crate::runtime::RouteProblem;

/// Which registrations a worker takes: all, or those of one module and its children.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter(Option<String>);

impl Filter {
    pub(crate) fn module(prefix: Option<&str>) -> Filter {
        Filter(prefix.map(str::to_owned))
    }

    pub(crate) fn keep(&self, module: &str) -> bool {
        match &self.0 {
            None => true,
            Some(p) => {
                module == p
                    || module
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with("::"))
            }
        }
    }
}

/// What every backend's route registration carries: its name and where it was written.
pub(crate) trait RouteDef: inventory::Collect + Sync + 'static {
    fn name(&self) -> &'static str;
    fn module_path(&self) -> &'static str;
    fn file(&self) -> &'static str;
    fn line(&self) -> u32;

    /// `file:line` of the handler.
    fn location(&self) -> String {
        format!("{}:{}", self.file(), self.line())
    }
}

/// Implements [`RouteDef`] for a registration struct with `name`, `module_path`, `file` and
/// `line` fields.
macro_rules! route_def {
    ($def:ty) => {
        impl $crate::registry::RouteDef for $def {
            fn name(&self) -> &'static str {
                self.name
            }
            fn module_path(&self) -> &'static str {
                self.module_path
            }
            fn file(&self) -> &'static str {
                self.file
            }
            fn line(&self) -> u32 {
                self.line
            }
        }
    };
}
pub(crate) use route_def;

/// The registrations of one route kind that `filter` keeps, sorted by (module path, name,
/// file, line): inventory's order is unspecified, and start-up must not depend on link order.
pub(crate) fn routes<T: RouteDef>(filter: &Filter) -> Vec<&'static T> {
    let mut defs: Vec<&'static T> = inventory::iter::<T>
        .into_iter()
        .filter(|r| filter.keep(r.module_path()))
        .collect();
    defs.sort_by_key(|r| (r.module_path(), r.name(), r.file(), r.line()));
    defs
}

/// One problem per route that reuses the name of an earlier one (`what`: "routes", "SSE
/// routes"...): names label logs, metrics and health, so they must be unique per kind. The
/// problem is the pair's, not one route's: its message names both places.
pub(crate) fn name_clashes<T: RouteDef>(defs: &[&T], what: &str) -> Vec<RouteProblem> {
    let mut seen: std::collections::HashMap<&str, &T> = std::collections::HashMap::new();
    let mut problems = Vec::new();
    for &def in defs {
        if let Some(first) = seen.insert(def.name(), def) {
            problems.push(RouteProblem::worker(format!(
                "two {what} are named `{}`: {} and {}; give one of them `name = \"...\"`",
                def.name(),
                first.location(),
                def.location()
            )));
        }
    }
    problems
}

/// The hooks of one worker, sorted (inventory's order is unspecified). Routes are collected
/// by each backend from its own registrations, with the same filter.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    pub(crate) startup: Vec<&'static HookDef>,
    pub(crate) shutdown: Vec<&'static HookDef>,
}

impl Registry {
    pub(crate) fn collect(filter: &Filter) -> Registry {
        let mut hooks: Vec<&'static HookDef> = inventory::iter::<HookDef>
            .into_iter()
            .filter(|h| filter.keep(h.module_path))
            .collect();
        hooks.sort_by_key(|h| h.sort_key());
        let startup = hooks
            .iter()
            .copied()
            .filter(|h| h.kind == HookKind::Startup)
            .collect();
        let mut shutdown: Vec<_> = hooks
            .iter()
            .copied()
            .filter(|h| h.kind == HookKind::Shutdown)
            .collect();
        shutdown.reverse();
        Registry { startup, shutdown }
    }

    /// The `--routes` listing.
    pub(crate) fn describe(&self, routes: &[String]) -> String {
        let mut out = String::new();
        for r in routes {
            let _ = writeln!(out, "{r}");
        }
        for h in &self.startup {
            let _ = writeln!(
                out,
                "on_startup  {:<14} order={}  ({})",
                h.name,
                h.order,
                h.location()
            );
        }
        for h in &self.shutdown {
            let _ = writeln!(
                out,
                "on_shutdown {:<14} order={}  ({})",
                h.name,
                h.order,
                h.location()
            );
        }
        out
    }
}

pub(crate) const NO_ROUTES: &str = "no routes are registered, so there is nothing to run.\n\
Annotate an `async fn` with #[route(amqp = [\"queue\"])] in this binary. If your handlers live in \
another crate, the linker drops that crate unless the binary uses it: add `use my_handlers as _;` \
next to `asyncworker::main!()`. Handlers behind #[cfg(test)] or in a module that is not compiled \
are not registered either.";

#[cfg(test)]
mod tests {
    use super::*;

    struct Def {
        name: &'static str,
        module_path: &'static str,
        file: &'static str,
        line: u32,
    }
    inventory::collect!(Def);
    route_def!(Def);

    inventory::submit!(Def {
        name: "b",
        module_path: "app::jobs",
        file: "jobs.rs",
        line: 9
    });
    inventory::submit!(Def {
        name: "a",
        module_path: "app::jobs",
        file: "jobs.rs",
        line: 3
    });
    inventory::submit!(Def {
        name: "a",
        module_path: "app::other",
        file: "other.rs",
        line: 7
    });
    inventory::submit!(Def {
        name: "c",
        module_path: "elsewhere",
        file: "e.rs",
        line: 1
    });

    #[test]
    fn routes_are_filtered_and_sorted_and_clashing_names_name_both_places() {
        let all = routes::<Def>(&Filter::module(Some("app")));
        let found: Vec<(&str, &str)> = all.iter().map(|d| (d.module_path, d.name)).collect();
        assert_eq!(
            found,
            [("app::jobs", "a"), ("app::jobs", "b"), ("app::other", "a")]
        );
        let clashes = name_clashes(&all, "SSE routes");
        assert_eq!(clashes.len(), 1, "{clashes:?}");
        assert_eq!(
            clashes[0].route, None,
            "the pair's problem, not one route's"
        );
        assert_eq!(
            clashes[0].to_string(),
            "two SSE routes are named `a`: jobs.rs:3 and other.rs:7; give one of them `name = \"...\"`"
        );
    }
}
