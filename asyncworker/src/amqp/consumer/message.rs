//! The message type AMQP handlers receive.

use std::fmt;
use std::sync::Arc;

use lapin::BasicProperties;
use lapin::types::FieldTable;

use crate::action::{Action, Mark};

/// What the broker told us about one delivery, without its decoded body.
#[derive(Clone)]
pub(crate) struct Envelope {
    pub(crate) queue: Arc<str>,
    pub(crate) exchange: lapin::types::ShortString,
    pub(crate) routing_key: lapin::types::ShortString,
    pub(crate) redelivered: bool,
    pub(crate) delivery_tag: u64,
    pub(crate) properties: BasicProperties,
    pub(crate) data: bytes::Bytes,
}

/// One delivery, with its body decoded into `T` by the route's codec (JSON for
/// `T: Deserialize`, as is for `Bytes`, `Vec<u8>` and `String`: see [`codec`](crate::codec)).
///
/// The per-message overrides [`accept`](Message::accept), [`reject`](Message::reject) and
/// [`requeue`](Message::requeue) decide what happens to this message once the handler returns
/// (the last call wins); unmarked messages get the route's `on_success` or `on_exception`.
///
/// ```
/// use asyncworker::prelude::*;
///
/// #[route(amqp = ["events"], bulk_size = 50)]
/// async fn handle(messages: Vec<Message<serde_json::Value>>) {
///     for m in &messages {
///         if m.body().get("id").is_none() {
///             m.reject(); // dropped, or dead-lettered if the queue has a DLX
///         }
///     }
/// }
/// # fn main() {}
/// ```
pub struct Message<T> {
    body: T,
    envelope: Box<Envelope>,
    mark: Mark,
}

impl<T> Message<T> {
    pub(crate) fn new(body: T, envelope: Box<Envelope>, mark: Mark) -> Self {
        Message {
            body,
            envelope,
            mark,
        }
    }

    /// The decoded body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The decoded body, mutably.
    pub fn body_mut(&mut self) -> &mut T {
        &mut self.body
    }

    /// The raw bytes of the body, as received.
    pub fn raw(&self) -> &[u8] {
        &self.envelope.data
    }

    /// The queue this message was consumed from (with the queue prefix, if one is set).
    pub fn queue(&self) -> &str {
        &self.envelope.queue
    }

    /// The exchange it was published to (empty for the default exchange).
    pub fn exchange(&self) -> &str {
        self.envelope.exchange.as_str()
    }

    /// The routing key it was published with.
    pub fn routing_key(&self) -> &str {
        self.envelope.routing_key.as_str()
    }

    /// Which attempt at handling this message this is: 1 on the first delivery, 2 after the
    /// first delayed retry (`retries = N` on the route), and so on.
    ///
    /// It is the attempt our retry path carries in the `asyncworker-attempt` header (or its
    /// former name `x-asyncworker-attempt`) plus, on a quorum queue, the broker's
    /// `x-delivery-count`: each requeue, lost channel or consumer timeout of this copy counts
    /// as an attempt too. On a classic queue a plain requeue is not counted (the broker keeps
    /// no count; see [`redelivered`](Message::redelivered)).
    pub fn attempt(&self) -> u32 {
        let properties = &self.envelope.properties;
        crate::amqp::retry::attempt_of(properties)
            .saturating_add(crate::amqp::retry::delivery_count(properties))
    }

    /// Whether the broker delivered it before (a hint: it may be set for messages never seen).
    pub fn redelivered(&self) -> bool {
        self.envelope.redelivered
    }

    /// The delivery tag on its channel.
    pub fn delivery_tag(&self) -> u64 {
        self.envelope.delivery_tag
    }

    /// The AMQP properties (content type, message id, correlation id, timestamp, ...).
    pub fn properties(&self) -> &BasicProperties {
        &self.envelope.properties
    }

    /// The message headers, if any.
    pub fn headers(&self) -> Option<&FieldTable> {
        self.envelope.properties.headers().as_ref()
    }

    /// Acknowledge this message whatever the handler returns.
    pub fn accept(&self) {
        self.mark.set(Action::Ack);
    }

    /// Reject this message without requeue (dead-lettered if the queue has a DLX).
    pub fn reject(&self) {
        self.mark.set(Action::Reject);
    }

    /// Requeue this message: the broker delivers it again.
    pub fn requeue(&self) {
        self.mark.set(Action::Requeue);
    }

    /// The mark set on this message (the last of [`accept`](Message::accept),
    /// [`reject`](Message::reject), [`requeue`](Message::requeue)), or `None` if none was:
    /// the message then gets the route's `on_success` or `on_exception`.
    ///
    /// ```
    /// use asyncworker::prelude::*;
    ///
    /// let m = Message::for_test(7_u32);
    /// assert_eq!(m.mark(), None);
    /// m.reject();
    /// m.requeue(); // the last call wins
    /// assert_eq!(m.mark(), Some(Action::Requeue));
    /// ```
    pub fn mark(&self) -> Option<Action> {
        self.mark.get()
    }

    /// The mark set on this message; the former name of [`mark`](Message::mark).
    #[deprecated(since = "0.1.0", note = "renamed to `mark()`")]
    pub fn action(&self) -> Option<Action> {
        self.mark()
    }

    /// A probe that reads this message's mark after the message is gone: a handler takes its
    /// messages by value, so a test keeps the probe (feature `testing`).
    ///
    /// ```
    /// use asyncworker::prelude::*;
    ///
    /// async fn drain(messages: Vec<Message<u32>>) {
    ///     for m in &messages {
    ///         if *m.body() == 0 {
    ///             m.reject();
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let messages = vec![Message::for_test(0), Message::for_test(1)];
    /// let marks: Vec<_> = messages.iter().map(Message::mark_probe).collect();
    /// drain(messages).await;
    /// assert_eq!(marks[0].get(), Some(Action::Reject));
    /// assert_eq!(marks[1].get(), None); // acked by the route's on_success
    /// # }
    /// ```
    #[cfg(feature = "testing")]
    pub fn mark_probe(&self) -> crate::action::MarkProbe {
        crate::action::MarkProbe::new(&self.mark)
    }
}

impl<T: fmt::Debug> fmt::Debug for Message<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("queue", &self.queue())
            .field("delivery_tag", &self.delivery_tag())
            .field("redelivered", &self.redelivered())
            .field("body", &self.body)
            .field("mark", &self.mark())
            .finish()
    }
}
