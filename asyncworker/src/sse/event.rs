//! The event type SSE handlers receive.

use std::fmt;
use std::sync::Arc;

use super::parser::RawEvent;

/// One received event, before its data is decoded.
#[derive(Clone)]
pub(crate) struct Envelope {
    pub(crate) path: Arc<str>,
    pub(crate) raw: RawEvent,
}

/// One server-sent event, with its `data:` decoded into `T` by the route's codec (JSON for
/// `T: Deserialize`, text for `String`: see [`codec`](crate::codec)).
///
/// ```
/// use asyncworker::prelude::*;
///
/// #[derive(serde::Deserialize)]
/// struct Status { app: String }
///
/// #[route(sse = ["/v2/events"], url = "http://127.0.0.1:8080", bulk_size = 50)]
/// async fn watch(events: Vec<Event<Status>>) {
///     for e in &events {
///         println!("{} {:?} {}", e.name(), e.id(), e.data().app);
///     }
/// }
/// # fn main() {}
/// ```
pub struct Event<T> {
    data: T,
    envelope: Envelope,
}

impl<T> Event<T> {
    pub(crate) fn new(data: T, envelope: Envelope) -> Self {
        Event { data, envelope }
    }

    /// The event type (the `event:` field), `"message"` when the server sent none.
    pub fn name(&self) -> &str {
        &self.envelope.raw.name
    }

    /// The event's id: the last `id:` the server sent on this stream, if any.
    pub fn id(&self) -> Option<&str> {
        Some(self.envelope.raw.id.as_str()).filter(|id| !id.is_empty())
    }

    /// The decoded data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The decoded data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// The decoded data, by value.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The raw text of the data, as received (several `data:` lines joined with `\n`).
    pub fn raw(&self) -> &str {
        &self.envelope.raw.data
    }

    /// The path of the stream it came from (as listed in `#[route(sse = [...])]`).
    pub fn path(&self) -> &str {
        &self.envelope.path
    }
}

impl<T: fmt::Debug> fmt::Debug for Event<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("path", &self.path())
            .field("name", &self.name())
            .field("id", &self.id())
            .field("data", &self.data)
            .finish()
    }
}
