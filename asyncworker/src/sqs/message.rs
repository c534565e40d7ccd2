//! The message type SQS handlers receive.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use aws_sdk_sqs::types::MessageAttributeValue;

use crate::action::{Action, Mark};

/// What SQS told us about one received message, without its decoded body.
#[derive(Clone)]
pub(crate) struct Envelope {
    /// The queue as the route lists it (a name or a URL), for metrics and logs.
    pub(crate) queue: Arc<str>,
    pub(crate) message_id: Arc<str>,
    pub(crate) receipt_handle: Arc<str>,
    pub(crate) body: bytes::Bytes,
    /// `ApproximateReceiveCount`: 1 on the first receive.
    pub(crate) receive_count: u32,
    /// `MessageGroupId`, on FIFO queues.
    pub(crate) group_id: Option<Arc<str>>,
    /// The system attributes (`SentTimestamp`, `SenderId`, ...).
    pub(crate) attributes: Arc<HashMap<String, String>>,
    /// The sender's message attributes.
    pub(crate) message_attributes: Arc<HashMap<String, MessageAttributeValue>>,
}

/// One SQS message, with its body decoded into `T` by the route's codec (JSON for
/// `T: Deserialize`, as is for `Bytes`, `Vec<u8>` and `String`: see [`codec`](crate::codec)).
///
/// [`accept`](SqsMessage::accept) (delete it), [`reject`](SqsMessage::reject) (delete it, or
/// send it to the route's `dead_letter` queue first) and [`requeue`](SqsMessage::requeue)
/// (make it visible again at once) decide its fate once the handler returns (the last call
/// wins); unmarked messages get the route's `on_success` or `on_exception`.
///
/// ```
/// use asyncworker::prelude::*;
///
/// #[route(sqs = ["orders"], bulk_size = 25)]
/// async fn handle(messages: Vec<SqsMessage<serde_json::Value>>) {
///     for m in &messages {
///         if m.body().get("id").is_none() {
///             m.reject();
///         }
///     }
/// }
/// # fn main() {}
/// ```
pub struct SqsMessage<T> {
    body: T,
    envelope: Envelope,
    mark: Mark,
}

impl<T> SqsMessage<T> {
    pub(crate) fn new(body: T, envelope: Envelope, mark: Mark) -> Self {
        SqsMessage {
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
        &self.envelope.body
    }

    /// The queue this message was received from, as the route lists it (a name or a URL).
    pub fn queue(&self) -> &str {
        &self.envelope.queue
    }

    /// The message id SQS gave it when it was sent.
    pub fn message_id(&self) -> &str {
        &self.envelope.message_id
    }

    /// The receipt handle of this receive (each receive of a message has its own).
    pub fn receipt_handle(&self) -> &str {
        &self.envelope.receipt_handle
    }

    /// Which attempt at handling this message this is: SQS's `ApproximateReceiveCount`, 1 on
    /// the first receive. Every receive counts, whether it ended in a failure, a requeue, a
    /// retry with `retry_delay`, a visibility timeout or a lost worker.
    pub fn attempt(&self) -> u32 {
        self.envelope.receive_count
    }

    /// The message group of a message from a FIFO queue.
    pub fn group_id(&self) -> Option<&str> {
        self.envelope.group_id.as_deref()
    }

    /// A system attribute by name (`SentTimestamp`, `SenderId`,
    /// `ApproximateFirstReceiveTimestamp`, `MessageDeduplicationId`, ...).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.envelope.attributes.get(name).map(String::as_str)
    }

    /// The message attributes the sender set.
    pub fn message_attributes(&self) -> &HashMap<String, MessageAttributeValue> {
        &self.envelope.message_attributes
    }

    /// A string (or number) message attribute by name.
    pub fn message_attribute(&self, name: &str) -> Option<&str> {
        self.envelope.message_attributes.get(name)?.string_value()
    }

    /// Delete this message whatever the handler returns.
    pub fn accept(&self) {
        self.mark.set(Action::Ack);
    }

    /// Give this message up: it is sent to the route's `dead_letter` queue, if it has one, and
    /// deleted.
    pub fn reject(&self) {
        self.mark.set(Action::Reject);
    }

    /// Make this message visible again at once, for another receive.
    pub fn requeue(&self) {
        self.mark.set(Action::Requeue);
    }

    /// The mark set on this message, or `None`: it then gets the route's `on_success` or
    /// `on_exception`.
    pub fn mark(&self) -> Option<Action> {
        self.mark.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for SqsMessage<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqsMessage")
            .field("queue", &self.queue())
            .field("message_id", &self.message_id())
            .field("attempt", &self.attempt())
            .field("body", &self.body)
            .field("mark", &self.mark())
            .finish()
    }
}
