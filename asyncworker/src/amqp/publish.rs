//! Publishing with publisher confirms on one channel of a publisher connection.
//!
//! A [`Publisher`] owns one confirm-mode channel, opened on first use and again whenever the
//! broker closed it or the connection went away. Publishes from many tasks share the channel,
//! so they pipeline: each waits only for its own confirm.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, ErrorKind};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connection::ConnectionManager;
use crate::backoff::Backoff;

/// Why a publish failed. Nothing is ever dropped silently: every publish either returns
/// `Ok` after the broker confirmed it, or one of these.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PublishError {
    /// The body could not be serialized to JSON; nothing was sent.
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
                write!(f, "cannot serialize the message body to JSON: {e}")
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

/// One confirm-mode channel on a (shared) publisher connection.
pub(crate) struct Publisher {
    connection: Arc<ConnectionManager>,
    channel: Mutex<Option<Channel>>,
    /// Serializes opening a channel, so a burst of publishes after a reconnect opens one.
    opening: tokio::sync::Mutex<()>,
    closed: CancellationToken,
    timeout: Duration,
}

/// What went wrong in one try, and whether trying again may help.
enum TryError {
    /// The connection or channel went away: open a new one and publish again.
    Transient(String),
    Final(PublishError),
}

impl Publisher {
    pub(crate) fn new(
        connection: Arc<ConnectionManager>,
        closed: CancellationToken,
        timeout: Duration,
    ) -> Publisher {
        Publisher {
            connection,
            channel: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
            closed,
            timeout,
        }
    }

    /// Publishes and waits for the broker's confirm. A lost connection or channel is
    /// reopened and the message sent again until the timeout: a message may then reach the
    /// queue twice, never zero times without an error.
    pub(crate) async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
        mandatory: bool,
    ) -> Result<(), PublishError> {
        let deadline = Instant::now() + self.timeout;
        let mut attempt: u32 = 0;
        let mut last_error: Option<String> = None;
        loop {
            let tried = tokio::time::timeout_at(
                deadline,
                self.try_publish(exchange, routing_key, body, &properties, mandatory),
            )
            .await;
            match tried {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(TryError::Final(e))) => return Err(e),
                Ok(Err(TryError::Transient(e))) => {
                    if self.closed.is_cancelled() {
                        return Err(PublishError::Closed);
                    }
                    attempt += 1;
                    tracing::warn!(
                        connection = %self.connection.label(),
                        exchange,
                        routing_key,
                        attempt,
                        error = %e,
                        "publish interrupted; publishing again on a new channel"
                    );
                    last_error = Some(e);
                    let pause = Backoff::RECONNECT
                        .delay(attempt)
                        .min(Duration::from_secs(2));
                    if tokio::time::timeout_at(deadline, tokio::time::sleep(pause))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        if self.closed.is_cancelled() {
            return Err(PublishError::Closed);
        }
        Err(PublishError::Timeout {
            after: self.timeout,
            last_error,
        })
    }

    async fn try_publish(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: &BasicProperties,
        mandatory: bool,
    ) -> Result<(), TryError> {
        let channel = self.channel().await?;
        let confirm = channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                BasicPublishOptions {
                    mandatory,
                    immediate: false,
                },
                body,
                properties.clone(),
            )
            .await
            .map_err(|e| self.classify(&channel, exchange, e))?;
        match confirm.await {
            Ok(Confirmation::Ack(None)) | Ok(Confirmation::NotRequested) => Ok(()),
            Ok(Confirmation::Ack(Some(returned))) | Ok(Confirmation::Nack(Some(returned))) => {
                Err(TryError::Final(PublishError::Unroutable {
                    exchange: exchange.to_owned(),
                    routing_key: routing_key.to_owned(),
                    reply: format!("{} {}", returned.reply_code, returned.reply_text),
                }))
            }
            Ok(Confirmation::Nack(None)) => Err(TryError::Final(PublishError::Nacked {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
            })),
            Err(e) => Err(self.classify(&channel, exchange, e)),
        }
    }

    /// A broker's channel-level refusal (missing exchange, access refused) is final; anything
    /// else (I/O, a closed connection) is worth another try on a fresh channel.
    fn classify(&self, channel: &Channel, exchange: &str, error: lapin::Error) -> TryError {
        self.forget(channel);
        match error.kind() {
            ErrorKind::ProtocolError(amqp) if error.is_amqp_soft_error() => {
                TryError::Final(PublishError::Refused {
                    exchange: exchange.to_owned(),
                    reason: amqp.to_string(),
                })
            }
            _ => TryError::Transient(error.to_string()),
        }
    }

    /// Drops `channel` from the slot if it is still the current one.
    fn forget(&self, channel: &Channel) {
        let mut slot = self.channel.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|c| c.id() == channel.id()) {
            *slot = None;
        }
    }

    /// The open confirm channel, opening one (and the connection) if needed.
    async fn channel(&self) -> Result<Channel, TryError> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let _opening = self.opening.lock().await;
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let Some(conn) = self.connection.get(&self.closed).await else {
            return Err(TryError::Final(PublishError::Closed));
        };
        let channel = conn
            .create_channel()
            .await
            .map_err(|e| TryError::Transient(format!("cannot open a channel: {e}")))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| TryError::Transient(format!("confirm.select failed: {e}")))?;
        *self.channel.lock().unwrap_or_else(|p| p.into_inner()) = Some(channel.clone());
        Ok(channel)
    }

    fn current(&self) -> Option<Channel> {
        let slot = self.channel.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref()
            .filter(|c| c.status().connected())
            .map(Channel::clone)
    }

    /// Closes the channel (not the shared connection).
    pub(crate) async fn close(&self) {
        let channel = self
            .channel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(c) = channel
            && c.status().connected()
        {
            let _ = tokio::time::timeout(Duration::from_secs(5), c.close(200, "bye".into())).await;
        }
    }
}
