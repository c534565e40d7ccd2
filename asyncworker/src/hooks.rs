//! `#[on_startup]` / `#[on_shutdown]` registrations and how they run.

use std::fmt::Write as _;

use crate::app::App;
use crate::future::BoxFuture;
use crate::handler::HookResult;
use crate::registry::Filter;

/// When a hook runs.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// Before any backend starts, in `(order, module path, name)` order.
    Startup,
    /// After every backend stopped, in reverse order.
    Shutdown,
}

/// A registered hook, as `#[on_startup]` / `#[on_shutdown]` submit it.
#[doc(hidden)]
#[derive(Debug)]
pub struct HookDef {
    pub kind: HookKind,
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub order: i32,
    pub run: for<'a> fn(&'a App) -> BoxFuture<'a, HookResult>,
}

inventory::collect!(HookDef);

impl HookDef {
    pub(crate) fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    pub(crate) fn sort_key(&self) -> (i32, &'static str, &'static str, &'static str, u32) {
        (
            self.order,
            self.module_path,
            self.name,
            self.file,
            self.line,
        )
    }
}

/// The hooks of one worker, sorted (inventory's order is unspecified). Routes are collected
/// by each backend from its own registrations, with the same filter.
#[derive(Debug, Clone)]
pub(crate) struct Hooks {
    pub(crate) startup: Vec<&'static HookDef>,
    pub(crate) shutdown: Vec<&'static HookDef>,
}

impl Hooks {
    pub(crate) fn collect(filter: &Filter) -> Hooks {
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
        Hooks { startup, shutdown }
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
