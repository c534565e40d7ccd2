//! The HTTP backend.

use crate::app::App;
use crate::backend::Backend;
use crate::registry::Filter;

/// What the code `#[route(http = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {}

/// The HTTP routes of a worker (registered with `#[route(http = ...)]`), if any.
pub(crate) fn prepare(
    filter: &Filter,
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Box<dyn Backend>>, String> {
    let _ = (filter, app, lookup);
    Ok(None)
}
