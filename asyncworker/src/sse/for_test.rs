//! Events made by a test rather than read from a stream, so that a handler fn can be called
//! directly (feature `testing`).

use std::sync::Arc;

use super::event::{Envelope, Event};
use super::parser::RawEvent;

impl<T> Event<T> {
    /// An event carrying `data`, as if read from a stream, for calling a handler fn directly
    /// in a unit test (feature `testing`). The defaults are those of
    /// [`test_builder`](Event::test_builder).
    ///
    /// ```
    /// use asyncworker::prelude::*;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Status { app: String }
    ///
    /// #[route(sse = ["/v2/events"], url = "http://127.0.0.1:8080", bulk_size = 10)]
    /// async fn watch(events: Vec<Event<Status>>) -> Result<(), String> {
    ///     match events.iter().find(|e| e.data().app.is_empty()) {
    ///         Some(e) => Err(format!("event {:?} has no app", e.id())),
    ///         None => Ok(()),
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let ok = Event::for_test(Status { app: "shop".into() });
    /// assert!(watch(vec![ok]).await.is_ok());
    /// let bad = Event::test_builder(Status { app: String::new() }).id("42").build();
    /// assert_eq!(watch(vec![bad]).await, Err("event Some(\"42\") has no app".to_owned()));
    /// # }
    /// ```
    pub fn for_test(data: T) -> Event<T> {
        Event::test_builder(data).build()
    }

    /// A builder for a test event carrying `data`, to set what the server would have sent
    /// (feature `testing`).
    ///
    /// Unless set: the name `message` (a server's event without `event:`), no id, an empty
    /// path, and an empty [`raw`](Event::raw) text: the data is not encoded back to JSON
    /// (that would need `T: Serialize`); give the text with [`raw`](EventBuilder::raw) when
    /// the handler reads it.
    ///
    /// ```
    /// use asyncworker::prelude::*;
    ///
    /// let e = Event::test_builder(serde_json::json!({"app": "shop"}))
    ///     .name("status")
    ///     .id("7")
    ///     .path("/v2/events")
    ///     .raw(r#"{"app":"shop"}"#)
    ///     .build();
    /// assert_eq!((e.name(), e.id(), e.path()), ("status", Some("7"), "/v2/events"));
    /// assert_eq!(e.data()["app"], "shop");
    /// assert_eq!(e.raw(), r#"{"app":"shop"}"#);
    /// ```
    pub fn test_builder(data: T) -> EventBuilder<T> {
        EventBuilder {
            data,
            name: "message".to_owned(),
            id: String::new(),
            path: String::new(),
            raw: String::new(),
        }
    }
}

/// Builds an [`Event`] for a unit test: see [`Event::test_builder`] (feature `testing`).
#[derive(Debug)]
#[must_use = "call .build() to get the event"]
pub struct EventBuilder<T> {
    data: T,
    name: String,
    /// Empty for none, as the stream keeps it.
    id: String,
    path: String,
    raw: String,
}

impl<T> EventBuilder<T> {
    /// The event type (the `event:` field).
    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    /// The event's id (the `id:` field).
    pub fn id(mut self, id: &str) -> Self {
        self.id = id.to_owned();
        self
    }

    /// The path of the stream it came from, as listed in `#[route(sse = [...])]`.
    pub fn path(mut self, path: &str) -> Self {
        self.path = path.to_owned();
        self
    }

    /// The raw text [`Event::raw`] returns (empty unless set; the data is not encoded).
    pub fn raw(mut self, raw: &str) -> Self {
        self.raw = raw.to_owned();
        self
    }

    /// The event.
    pub fn build(self) -> Event<T> {
        let envelope = Envelope {
            path: Arc::from(self.path),
            raw: RawEvent {
                name: self.name,
                id: self.id,
                data: self.raw,
            },
        };
        Event::new(self.data, envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_an_unnamed_event_without_id() {
        let e = Event::for_test(3_u8);
        assert_eq!(*e.data(), 3);
        assert_eq!(
            (e.name(), e.id(), e.path(), e.raw()),
            ("message", None, "", "")
        );
    }

    #[test]
    fn builder_sets_what_the_server_would() {
        let e = Event::test_builder("x")
            .name("status")
            .id("4")
            .path("/p")
            .raw("\"x\"")
            .build();
        assert_eq!(e.name(), "status");
        assert_eq!(e.id(), Some("4"));
        assert_eq!(e.path(), "/p");
        assert_eq!(e.raw(), "\"x\"");
        assert_eq!(e.into_data(), "x");
    }
}
