//! What the code `#[route(sse = ...)]` registers: the paths, the options and the handler's
//! factory.

use super::intake::SseFactory;
use crate::bulk::BulkOptions;

/// A registered SSE route, as `#[route(sse = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct SseRouteDef {
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// The handler's doc comment, its `///` lines joined by `\n`: the summary and description
    /// of the route in the documents.
    pub doc: &'static str,
    pub paths: &'static [&'static str],
    pub options: SseOptions,
    /// The schema of the events' data type, for the AsyncAPI document.
    pub message: fn() -> crate::docs::TypeSchema,
    pub factory: fn() -> SseFactory,
}

inventory::collect!(SseRouteDef);

crate::registry::route_def!(SseRouteDef);

/// The options of an SSE route; see the README's "SSE routes".
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct SseOptions {
    /// `None`: `ASYNCWORKER_SSE_URL`.
    pub url: Option<&'static str>,
    /// `"Name: value"` templates; `${VAR}` is replaced by the environment variable at startup.
    pub headers: &'static [&'static str],
    pub bulk_size: u16,
    pub bulk_flush_ms: u64,
    pub concurrency: u16,
    pub timeout_ms: Option<u64>,
    pub idle_timeout_ms: u64,
    pub max_event_size: u64,
}

impl SseOptions {
    pub const DEFAULT: SseOptions = SseOptions {
        url: None,
        headers: &[],
        bulk_size: 1,
        bulk_flush_ms: 1000,
        concurrency: 1,
        timeout_ms: None,
        idle_timeout_ms: 60_000,
        max_event_size: 1 << 20,
    };

    /// The options that shape bulks, as the attribute set them.
    pub(crate) fn bulk(&self) -> BulkOptions {
        BulkOptions {
            bulk_size: self.bulk_size,
            bulk_flush_ms: self.bulk_flush_ms,
            concurrency: self.concurrency,
            timeout_ms: self.timeout_ms,
        }
    }
}
