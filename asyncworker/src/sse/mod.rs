//! The Server-Sent-Events backend: `#[route(sse = [...])]` consumers.
//!
//! Per route: one dispatcher (the same as AMQP's, see `dispatch/`) fed by one *stream* per
//! path, each an HTTP GET read with a bounded parser and supervised: reconnect with capped
//! exponential backoff and jitter (at least the server's `retry:`), resume with
//! `Last-Event-ID`, stop for good on 204, retry slowly on 4xx or a wrong content type, and
//! reconnect when no byte arrives for `idle_timeout`. `https://` streams use rustls with the
//! ring provider (`tls.rs`, the `tls` feature).
//!
//! The client is `reqwest` (`bytes_stream()`) with our own parser (`parser.rs`), not
//! `reqwest-eventsource`: that crate ends the stream on any non-200 status, cannot bound the
//! size of an event, counts no bytes and has no idle timeout; `eventsource-stream`, which it
//! builds on, buffers without a limit and loses a `retry:` sent without data.

// From the macro's contract to the wire: `def` (what `#[route]` registers), `resolve` (options,
// URLs, headers), `backend` (prepare, list, run), `check` (`--check`) and `asyncapi` (its part of
// `--asyncapi`); then `stream` →
// `intake` → `event` → `parser`, a chain with no way back (`intake` also uses `handler`, the
// trait that types the user's function). `tls` configures the client and `--check`'s handshake.
// `memory` (feature `testing`) feeds the dispatchers from a test instead of streams.

mod asyncapi;
mod backend;
mod check;
mod def;
mod error_handler;
mod event;
#[cfg(feature = "testing")]
mod for_test;
pub(crate) mod handler;
mod intake;
#[cfg(feature = "testing")]
pub(crate) mod memory;
mod parser;
mod resolve;
mod stream;
#[cfg(test)]
mod tests;
mod tls;

pub(crate) use backend::prepare;
pub use def::{SseOptions, SseRouteDef};
pub use error_handler::SseErrorHandler;
pub use event::Event;
#[cfg(feature = "testing")]
pub use for_test::EventBuilder;
pub use handler::{EventsArg, SseHandler};

/// What the code `#[route(sse = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::def::{SseOptions, SseRouteDef};
    pub use super::handler::EventsArg;
    pub use super::intake::{SseFactory, SseTyped, sse_factory, sse_factory_with, sse_typed};

    /// Compile-time check of an SSE handler's last argument (its events), spanned at its type
    /// by `#[route]`.
    pub fn assert_events<T: EventsArg>() {}
}
