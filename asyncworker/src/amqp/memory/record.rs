//! What the in-memory broker tells a test: copies of messages, and what became of each
//! delivery.

use std::fmt;

use bytes::Bytes;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use serde::de::DeserializeOwned;

/// A copy of a message as the in-memory broker holds it: published, queued or settled.
///
/// ```
/// # use asyncworker::testing::Recorded;
/// fn total(published: &[Recorded]) -> u64 {
///     published.iter().map(|m| m.json::<serde_json::Value>()["total"].as_u64().unwrap()).sum()
/// }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Recorded {
    /// The exchange it was published to (empty for the default exchange).
    pub exchange: String,
    /// Its routing key.
    pub routing_key: String,
    /// The body, as published.
    pub body: Bytes,
    /// Its properties, headers included.
    pub properties: BasicProperties,
    /// Whether it had been delivered before this copy.
    pub redelivered: bool,
}

impl Recorded {
    /// The body decoded from JSON; panics with the body's text when it does not decode (a
    /// test helper: the panic is the failed assertion).
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not the JSON of a `{}`: {e}; body: {:?}",
                std::any::type_name::<T>(),
                self.text()
            )
        })
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The headers, if any.
    pub fn headers(&self) -> Option<&FieldTable> {
        self.properties.headers().as_ref()
    }

    /// One header's value.
    pub fn header(&self, name: &str) -> Option<&AMQPValue> {
        self.headers().and_then(|h| h.inner().get(name))
    }

    /// Which attempt at handling it this copy is (1 unless a retry numbered it), as
    /// [`Message::attempt`](crate::Message::attempt) reads it.
    pub fn attempt(&self) -> u32 {
        crate::amqp::retry::attempt_of(&self.properties)
    }
}

impl fmt::Debug for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recorded")
            .field("exchange", &self.exchange)
            .field("routing_key", &self.routing_key)
            .field("body", &self.text())
            .field("headers", &self.headers())
            .field("redelivered", &self.redelivered)
            .finish()
    }
}

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FateKind {
    /// Acked: handled, gone from the queue.
    Acked,
    /// Rejected without requeue: dropped, or dead-lettered by the queue's own
    /// `x-dead-letter-exchange` (then it sits in that queue).
    Rejected,
    /// Put back in the queue, to be delivered again (`redelivered()` is then set).
    Requeued,
    /// Its handler failed and the route's retries sent a copy to the retry queue; the copy
    /// will be delivered as `attempt`.
    Retried {
        /// The attempt the copy will be.
        attempt: u32,
    },
    /// Its last attempt failed and the route parked a copy in its dead-letter queue.
    DeadLettered {
        /// The parking queue.
        queue: String,
    },
}

/// One delivery from a queue and what became of it; derefs to the message it carried.
///
/// ```
/// # use asyncworker::testing::{Fate, FateKind};
/// fn parked(fates: &[Fate]) -> Vec<String> {
///     fates
///         .iter()
///         .filter(|f| matches!(f.kind, FateKind::DeadLettered { .. }))
///         .map(|f| f.text())
///         .collect()
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fate {
    /// What became of it.
    pub kind: FateKind,
    /// The message as it was delivered.
    pub message: Recorded,
}

impl std::ops::Deref for Fate {
    type Target = Recorded;

    fn deref(&self) -> &Recorded {
        &self.message
    }
}
