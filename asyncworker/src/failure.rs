//! [`Failure`]: how a handler call failed, as a route's error handler receives it.

use std::fmt;
use std::time::Duration;

use crate::action::{Action, Mark};

/// How a handler call failed, as a route's `error_handler` receives it: the handler's error,
/// its panic or its timeout, with the text the logs and retry headers carry; or a message
/// whose body did not decode, as it came.
///
/// ```
/// use asyncworker::prelude::*;
/// use asyncworker::Failure;
///
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64 }
///
/// async fn on_failure(failure: Failure, messages: Vec<Message<Order>>) {
///     for m in &messages {
///         match &failure {
///             // A timeout may pass on the next delivery: requeue.
///             Failure::Timeout(_) => m.requeue(),
///             // Anything else will not: park it (dead-lettered, if the queue has a DLX).
///             _ => m.reject(),
///         }
///     }
/// }
///
/// #[route(amqp = ["orders"], error_handler = on_failure)]
/// async fn handle(message: Message<Order>) -> Result<(), std::io::Error> {
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Failure {
    /// The handler returned `Err`: its `Display` text.
    Error(String),
    /// The handler panicked: the panic's message.
    Panic(String),
    /// The handler did not finish within the route's `timeout`.
    Timeout(Duration),
    /// A message's body did not decode into the handler's type, so the handler never saw it:
    /// why, and the message as it came (the error handler then gets no typed messages).
    Decode {
        /// The decoder's error.
        error: String,
        /// The message as received; its marks override `on_decode_error`.
        message: RawMessage,
    },
}

/// A message whose body did not decode: its bytes, where it came from and, for AMQP, its
/// properties. [`accept`](RawMessage::accept), [`reject`](RawMessage::reject) and
/// [`requeue`](RawMessage::requeue) choose its fate (on AMQP routes) over `on_decode_error`.
#[derive(Clone)]
pub struct RawMessage {
    pub(crate) body: bytes::Bytes,
    pub(crate) source: std::sync::Arc<str>,
    /// Boxed: a failure is passed by value, and most are not decode failures.
    #[cfg(feature = "amqp")]
    pub(crate) properties: Option<Box<lapin::BasicProperties>>,
    pub(crate) mark: Mark,
}

impl RawMessage {
    /// The body, as received.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The queue (or SSE path) it came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Its AMQP properties (headers, content type, ...); `None` for an SSE event.
    #[cfg(feature = "amqp")]
    pub fn properties(&self) -> Option<&lapin::BasicProperties> {
        self.properties.as_deref()
    }

    /// Acknowledge it: the broker forgets it.
    pub fn accept(&self) {
        self.mark.set(Action::Ack);
    }

    /// Reject it without requeue: dropped, or dead-lettered if the queue has a DLX.
    pub fn reject(&self) {
        self.mark.set(Action::Reject);
    }

    /// Requeue it: delivered again (it will not decode then either).
    pub fn requeue(&self) {
        self.mark.set(Action::Requeue);
    }
}

impl fmt::Debug for RawMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawMessage")
            .field("source", &self.source)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish_non_exhaustive()
    }
}

/// Error texts carried by a message (AMQP retry headers, SQS dead-letter attributes) are cut
/// to this many bytes: they travel with every copy of the message.
pub(crate) const MAX_ERROR_BYTES: usize = 1024;

/// `error`, cut to [`MAX_ERROR_BYTES`] on a character boundary.
#[allow(
    dead_code,
    reason = "used by the backends that carry errors with messages, which may be compiled out"
)]
pub(crate) fn cut_error(error: &str) -> &str {
    let mut end = error.len().min(MAX_ERROR_BYTES);
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    &error[..end]
}

impl fmt::Display for Failure {
    /// The same line as the logs and the retry headers: the error's text,
    /// `handler panicked: ...` or `handler timed out after ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => f.write_str(e),
            Failure::Panic(msg) => write!(f, "handler panicked: {msg}"),
            Failure::Timeout(d) => write!(f, "handler timed out after {d:?}"),
            Failure::Decode { error, .. } => write!(f, "body does not decode: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_errors_are_cut_on_a_char_boundary() {
        let e = "é".repeat(MAX_ERROR_BYTES);
        let c = cut_error(&e);
        assert!(c.len() <= MAX_ERROR_BYTES && c.len() > MAX_ERROR_BYTES - 2);
        assert_eq!(cut_error("short"), "short");
    }
}
