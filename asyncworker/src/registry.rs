//! What `#[route]` registered, collected with `inventory`, sorted deterministically
//! (inventory's order is unspecified), and what is wrong with it ([`RouteProblem`]), found
//! before anything starts. It imports nothing from the rest of the crate.

use std::fmt;

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

/// Why a worker with no route at all refuses to start, and what usually causes it.
pub(crate) const NO_ROUTES: &str = "no routes are registered, so there is nothing to run.\n\
Annotate an `async fn` with #[route(amqp = [\"queue\"])] in this binary. If your handlers live in \
another crate, the linker drops that crate unless the binary uses it: add `use my_handlers as _;` \
next to `asyncworker::main!()`. Handlers behind #[cfg(test)] or in a module that is not compiled \
are not registered either.";

/// One reason the registered routes cannot run, found before anything starts.
///
/// Its `Display` is the line a worker prints: `` route `name` (file:line): message `` for a
/// problem of one route, the message alone otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteProblem {
    /// The route at fault; `None` for a problem that is not one route's: no route at all, a
    /// bad connection setting, or two routes that clash (the message names both).
    pub route: Option<&'static str>,
    /// `file:line` of the route's handler, when there is one route at fault.
    pub location: Option<String>,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl RouteProblem {
    /// A problem of the route registered as `def`.
    pub(crate) fn of(def: &impl RouteDef, message: impl Into<String>) -> RouteProblem {
        RouteProblem::at(def.name(), def.location(), message)
    }

    /// A problem of the route `route`, defined at `location`.
    pub(crate) fn at(
        route: &'static str,
        location: String,
        message: impl Into<String>,
    ) -> RouteProblem {
        RouteProblem {
            route: Some(route),
            location: Some(location),
            message: message.into(),
        }
    }

    /// A problem of the worker as a whole, not of one route.
    pub(crate) fn worker(message: impl Into<String>) -> RouteProblem {
        RouteProblem {
            route: None,
            location: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RouteProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.route, &self.location) {
            (Some(route), Some(at)) => write!(f, "route `{route}` ({at}): {}", self.message),
            (Some(route), None) => write!(f, "route `{route}`: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

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
