//! [`Failure`]: how a handler call failed, as a route's error handler receives it.

use std::fmt;
use std::time::Duration;

/// How a handler call failed, as a route's `error_handler` receives it: the handler's error,
/// its panic or its timeout, with the text the logs and retry headers carry.
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
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The handler returned `Err`: its `Display` text.
    Error(String),
    /// The handler panicked: the panic's message.
    Panic(String),
    /// The handler did not finish within the route's `timeout`.
    Timeout(Duration),
}

impl fmt::Display for Failure {
    /// The same line as the logs and the retry headers: the error's text,
    /// `handler panicked: ...` or `handler timed out after ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => f.write_str(e),
            Failure::Panic(msg) => write!(f, "handler panicked: {msg}"),
            Failure::Timeout(d) => write!(f, "handler timed out after {d:?}"),
        }
    }
}
