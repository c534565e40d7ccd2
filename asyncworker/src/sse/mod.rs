//! The SSE backend.

use crate::app::App;
use crate::backend::Backend;
use crate::registry::Filter;

/// What the code `#[route(sse = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {}

/// The SSE routes of a worker (registered with `#[route(sse = ...)]`), if any.
pub(crate) fn prepare(
    filter: &Filter,
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Box<dyn Backend>>, String> {
    let _ = (filter, app, lookup);
    Ok(None)
}
