//! `#[on_startup]` / `#[on_shutdown]` registrations and how they run.

use crate::app::App;
use crate::future::BoxFuture;
use crate::handler::HookResult;

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
