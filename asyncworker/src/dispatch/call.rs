//! One handler call: catch its panic (at creation or while polled), bound it by a timeout, and
//! say how it ended. Consumers (through the dispatcher) and schedules call handlers this way.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;

use crate::clock::Clock;
use crate::failure::Failure;
use crate::handler::{BoxError, HandlerFuture};

/// How a handler call ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    Ok,
    Err(BoxError),
    Panic(String),
    Timeout(Duration),
}

impl Outcome {
    /// The failure as one line (the text dead-letter and error headers carry), or `None`.
    pub(crate) fn failure(&self) -> Option<String> {
        self.as_failure().map(|f| f.to_string())
    }

    /// The failure as an error handler receives it, or `None`.
    pub(crate) fn as_failure(&self) -> Option<Failure> {
        match self {
            Outcome::Ok => None,
            Outcome::Err(e) => Some(Failure::Error(e.to_string())),
            Outcome::Panic(msg) => Some(Failure::Panic(msg.clone())),
            Outcome::Timeout(d) => Some(Failure::Timeout(*d)),
        }
    }
}

/// Calls `start` and awaits its future within `timeout` on `clock`. A panic is caught in both
/// places it can happen: while the handler builds its future (the extractors, a plain `fn`
/// body) and while the future is polled.
pub(crate) async fn call(
    start: impl FnOnce() -> HandlerFuture,
    timeout: Option<Duration>,
    clock: &Clock,
) -> Outcome {
    let fut = match std::panic::catch_unwind(AssertUnwindSafe(start)) {
        Ok(fut) => AssertUnwindSafe(fut).catch_unwind(),
        Err(panic) => return Outcome::Panic(panic_message(&*panic)),
    };
    let result = match timeout {
        Some(limit) => match clock.timeout(limit, fut).await {
            Some(r) => r,
            None => return Outcome::Timeout(limit),
        },
        None => fut.await,
    };
    match result {
        Ok(Ok(())) => Outcome::Ok,
        Ok(Err(e)) => Outcome::Err(e),
        Err(panic) => Outcome::Panic(panic_message(&*panic)),
    }
}

/// The text of a panic payload (`panic!` with a literal or a formatted message).
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
