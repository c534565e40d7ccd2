//! What `#[route]` and the hook attributes registered, collected with `inventory`, sorted
//! deterministically (inventory's order is unspecified) and checked before anything starts.

use std::fmt::Write as _;

use crate::amqp::AmqpRouteDef;
use crate::hooks::{HookDef, HookKind};

/// The routes and hooks of one worker.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    pub(crate) amqp: Vec<&'static AmqpRouteDef>,
    pub(crate) startup: Vec<&'static HookDef>,
    pub(crate) shutdown: Vec<&'static HookDef>,
}

impl Registry {
    /// Everything linked into this binary whose module path starts with `prefix` (all if None).
    pub(crate) fn collect(prefix: Option<&str>) -> Registry {
        let keep = |module: &str| match prefix {
            None => true,
            Some(p) => module == p || module.starts_with(&format!("{p}::")),
        };
        let mut amqp: Vec<&'static AmqpRouteDef> = inventory::iter::<AmqpRouteDef>
            .into_iter()
            .filter(|r| keep(r.module_path))
            .collect();
        amqp.sort_by_key(|r| (r.module_path, r.name, r.file, r.line));
        let mut hooks: Vec<&'static HookDef> = inventory::iter::<HookDef>
            .into_iter()
            .filter(|h| keep(h.module_path))
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
        Registry {
            amqp,
            startup,
            shutdown,
        }
    }

    pub(crate) fn route_count(&self) -> usize {
        self.amqp.len()
    }

    /// Refuses an empty registry; clashes between routes are checked by each backend.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if self.route_count() == 0 {
            return Err(NO_ROUTES.to_owned());
        }
        Ok(())
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
