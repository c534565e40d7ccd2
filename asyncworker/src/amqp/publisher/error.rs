//! `PublishError`: every way a publish can fail, each with what the broker or the worker said.

use std::fmt;
use std::time::Duration;

/// Why a publish failed. Nothing is ever dropped silently: every publish either returns
/// `Ok` after the broker confirmed it, or one of these.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PublishError {
    /// The body could not be serialized (to JSON, or by the codec of `publish_with`);
    /// nothing was sent.
    Serialize(String),
    /// The broker refused the message (`basic.nack`): it is not stored.
    Nacked {
        /// The exchange it was published to.
        exchange: String,
        /// Its routing key.
        routing_key: String,
    },
    /// A `mandatory` publish matched no queue; the broker returned it.
    Unroutable {
        /// The exchange it was published to.
        exchange: String,
        /// Its routing key.
        routing_key: String,
        /// The broker's reply, e.g. `312 NO_ROUTE`.
        reply: String,
    },
    /// The broker closed the channel because of this publish, e.g. a missing exchange
    /// (`404 NOT_FOUND`) or missing permissions. Publishes on other channels are unaffected.
    Refused {
        /// The exchange it was published to.
        exchange: String,
        /// The broker's reason.
        reason: String,
    },
    /// No connection and confirm within the publish timeout (the broker is down or slow).
    Timeout {
        /// The timeout that passed.
        after: Duration,
        /// The last connection problem seen, if any.
        last_error: Option<String>,
    },
    /// The connection could not be set up at all (e.g. an unknown named connection).
    Connection(String),
    /// The worker is shutting down and its publisher connections are closed.
    Closed,
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::Serialize(e) => {
                write!(f, "cannot serialize the message body: {e}")
            }
            PublishError::Nacked {
                exchange,
                routing_key,
            } => write!(
                f,
                "the broker nacked the message to exchange {exchange:?} with routing key {routing_key:?}: it was not stored"
            ),
            PublishError::Unroutable {
                exchange,
                routing_key,
                reply,
            } => write!(
                f,
                "the message to exchange {exchange:?} with routing key {routing_key:?} matched no queue ({reply}); it was returned"
            ),
            PublishError::Refused { exchange, reason } => {
                write!(
                    f,
                    "the broker refused a publish to exchange {exchange:?}: {reason}"
                )
            }
            PublishError::Timeout { after, last_error } => {
                write!(f, "publish not confirmed within {after:?}")?;
                if let Some(e) = last_error {
                    write!(f, " (last error: {e})")?;
                }
                Ok(())
            }
            PublishError::Connection(e) => write!(f, "cannot publish: {e}"),
            PublishError::Closed => {
                f.write_str("cannot publish: the worker's publisher connections are closed")
            }
        }
    }
}

impl std::error::Error for PublishError {}
