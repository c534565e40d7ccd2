//! What `#[route]` and the hook attributes registered, collected with `inventory`, sorted
//! deterministically (inventory's order is unspecified) and checked before anything starts.

use std::fmt::Write as _;

use crate::hooks::{HookDef, HookKind};

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
