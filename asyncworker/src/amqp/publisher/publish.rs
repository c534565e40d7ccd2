//! Publishing with publisher confirms on one channel of a publisher connection.
//!
//! A [`BrokerPublisher`] owns one confirm-mode channel, opened on first use and again whenever the
//! broker closed it or the connection went away. Publishes from many tasks share the channel,
//! so they pipeline: each waits only for its own confirm. `mandatory` publishes pipeline too,
//! in waves on a few channels of their own, so that a message the broker returns is always
//! pinned on the publish that sent it (see `mandatory.rs`).

use std::sync::Arc;
use std::time::Duration;

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, ErrorKind};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::PublishError;
use super::mandatory::{MANDATORY_CHANNELS, MandatoryPool, Outcome, Settle};
use super::slot::Slot;
use crate::amqp::connection::ConnectionManager;
use crate::backoff::Backoff;

/// Confirm-mode channels on a (shared) publisher connection: one that every ordinary publish
/// shares, and a few for `mandatory` publishes.
pub(crate) struct BrokerPublisher {
    connection: Arc<ConnectionManager>,
    shared: Slot,
    /// The channels of `mandatory` publishes, which carry them in waves: lapin hands the
    /// messages the broker returns to arbitrary publishes of a `multiple` ack, so a returned
    /// message is matched to its publish once its whole wave is confirmed.
    mandatory: MandatoryPool,
    /// Serializes publishes on single-use probe channels (see [`TryError::Ambiguous`]), so a
    /// burst of them never exhausts the connection's channels.
    probing: tokio::sync::Mutex<()>,
    closed: CancellationToken,
    timeout: Duration,
}

/// One message to publish, as the caller gave it.
#[derive(Clone, Copy)]
struct Outgoing<'a> {
    exchange: &'a str,
    routing_key: &'a str,
    body: &'a [u8],
    properties: &'a BasicProperties,
    mandatory: bool,
}

/// What went wrong in one try, and whether trying again may help.
enum TryError {
    /// The connection or channel went away: open a new one and publish again.
    Transient(String),
    /// The broker closed the shared channel with a soft error that names no exchange (e.g. a
    /// message over the size limit). Every publish pipelined on that channel sees the same
    /// error, so whether this one caused it is only known by publishing it again alone.
    Ambiguous(String),
    /// Trying again would fail the same way.
    Final(PublishError),
}

impl BrokerPublisher {
    pub(crate) fn new(
        connection: Arc<ConnectionManager>,
        closed: CancellationToken,
        timeout: Duration,
    ) -> BrokerPublisher {
        BrokerPublisher {
            connection,
            shared: Slot::default(),
            mandatory: MandatoryPool::new(MANDATORY_CHANNELS),
            probing: tokio::sync::Mutex::new(()),
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
        let out = Outgoing {
            exchange,
            routing_key,
            body,
            properties: &properties,
            mandatory,
        };
        let deadline = Instant::now() + self.timeout;
        let mut attempt: u32 = 0;
        let mut last_error: Option<String> = None;
        let mut alone = false;
        while let Ok(tried) = tokio::time::timeout_at(deadline, self.try_once(out, alone)).await {
            match tried {
                Ok(()) => return Ok(()),
                Err(TryError::Final(e)) => return Err(e),
                // Refused even alone on its channel: it is this message's fault.
                Err(TryError::Ambiguous(reason)) if alone => {
                    let exchange = exchange.to_owned();
                    return Err(PublishError::Refused { exchange, reason });
                }
                Err(TryError::Ambiguous(e)) => {
                    tracing::debug!(connection = %self.connection.label(), exchange, routing_key, error = %e,
                        "the publish channel was closed by a refusal; publishing this message again alone to learn whether it was refused");
                    last_error = Some(e);
                    alone = true;
                }
                Err(TryError::Transient(e)) => {
                    if self.closed.is_cancelled() {
                        return Err(PublishError::Closed);
                    }
                    attempt += 1;
                    tracing::warn!(connection = %self.connection.label(), exchange, routing_key, attempt, error = %e,
                        "publish interrupted; publishing again on a new channel");
                    last_error = Some(e);
                    if !pause(deadline, attempt).await {
                        break;
                    }
                }
            }
        }
        Err(self.gave_up(last_error))
    }

    /// The error of a publish whose time ran out.
    fn gave_up(&self, last_error: Option<String>) -> PublishError {
        if self.closed.is_cancelled() {
            return PublishError::Closed;
        }
        PublishError::Timeout {
            after: self.timeout,
            last_error,
        }
    }

    /// One try, on the publish's usual channel or `alone` on a probe channel.
    async fn try_once(&self, out: Outgoing<'_>, alone: bool) -> Result<(), TryError> {
        if alone {
            // Boxed, like every cold path here: a publish future is moved around and stored
            // per publish in flight, so it stays as small as the hot path.
            Box::pin(self.try_alone(out)).await
        } else {
            self.try_publish(out).await
        }
    }

    /// One try on the shared channel, or in a wave of the mandatory pool.
    async fn try_publish(&self, out: Outgoing<'_>) -> Result<(), TryError> {
        if out.mandatory {
            return self.try_mandatory(out).await;
        }
        let slot = &self.shared;
        let channel = match slot.current() {
            Some(c) => c,
            // Opening a channel may connect first: a large future, boxed off the hot path.
            None => Box::pin(slot.get_or_open(self.open_channel())).await?,
        };
        let result = publish_on(&channel, out).await;
        // A refusal closed the channel, and so may whatever made the try transient; a
        // nacked message leaves it open.
        if let Err(
            TryError::Transient(_)
            | TryError::Ambiguous(_)
            | TryError::Final(PublishError::Refused { .. }),
        ) = &result
        {
            slot.forget(&channel);
        }
        result
    }

    /// One try of a `mandatory` publish, as a member of a wave (see `mandatory.rs`): its
    /// outcome is known once every publish of the wave is confirmed.
    async fn try_mandatory(&self, out: Outgoing<'_>) -> Result<(), TryError> {
        let mut member = self.mandatory.join().await;
        let channel = match Box::pin(member.channel(self.open_channel())).await {
            Ok(channel) => channel,
            Err(e) => {
                member.settle(Settle::Unsent);
                return Err(e);
            }
        };
        let (returned, nacked) = match send(&channel, out).await {
            Ok(Confirmation::Ack(returned)) => (returned, false),
            Ok(Confirmation::Nack(returned)) => (returned, true),
            Ok(Confirmation::NotRequested) => (None, false),
            Err(e) => {
                member.settle(Settle::Failed);
                return Err(e);
            }
        };
        member.settle(Settle::Confirmed(returned.map(Box::new)));
        let Outgoing {
            exchange,
            routing_key,
            ..
        } = out;
        match member
            .outcome(exchange, routing_key, out.properties, out.body)
            .await
        {
            Outcome::Returned(reply) => Err(TryError::Final(PublishError::Unroutable {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
                reply,
            })),
            Outcome::Unknown => Err(TryError::Transient(
                "a publish of the same wave was lost, so whether the broker returned this one \
                 cannot be known"
                    .into(),
            )),
            Outcome::Kept if nacked => Err(TryError::Final(PublishError::Nacked {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
            })),
            Outcome::Kept => Ok(()),
        }
    }

    /// Publishes on a fresh channel of its own, closed afterwards: whatever the broker says
    /// about it is about this message alone.
    async fn try_alone(&self, out: Outgoing<'_>) -> Result<(), TryError> {
        let _probing = self.probing.lock().await;
        let channel = self.open_channel().await?;
        let result = publish_on(&channel, out).await;
        if channel.status().connected() {
            let _ = channel.close(200, "probe done".into()).await;
        }
        result
    }

    /// A new confirm-mode channel (and the connection first, if needed).
    async fn open_channel(&self) -> Result<Channel, TryError> {
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
        Ok(channel)
    }

    /// Closes the channels (not the shared connection).
    pub(crate) async fn close(&self) {
        for slot in std::iter::once(&self.shared).chain(self.mandatory.slots()) {
            slot.close().await;
        }
    }
}

/// Waits before the next try, longer after each (at most 2 s); `false` if `deadline` comes
/// first.
async fn pause(deadline: Instant, attempt: u32) -> bool {
    let pause = Backoff::RECONNECT
        .delay(attempt)
        .min(Duration::from_secs(2));
    tokio::time::timeout_at(deadline, tokio::time::sleep(pause))
        .await
        .is_ok()
}

/// One publish on `channel`, waiting for its confirm.
async fn publish_on(channel: &Channel, out: Outgoing<'_>) -> Result<(), TryError> {
    let Outgoing {
        exchange,
        routing_key,
        ..
    } = out;
    match send(channel, out).await? {
        Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
        // Only a mandatory publish is returned, and those go through `try_mandatory`.
        Confirmation::Ack(Some(returned)) | Confirmation::Nack(Some(returned)) => {
            Err(TryError::Final(PublishError::Unroutable {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
                reply: format!("{} {}", returned.reply_code, returned.reply_text),
            }))
        }
        Confirmation::Nack(None) => Err(TryError::Final(PublishError::Nacked {
            exchange: exchange.to_owned(),
            routing_key: routing_key.to_owned(),
        })),
    }
}

/// Sends one publish on `channel` and waits for the broker's confirm.
async fn send(channel: &Channel, out: Outgoing<'_>) -> Result<Confirmation, TryError> {
    let exchange = out.exchange;
    // lapin's publish future is about 1 KB; boxed, the futures around it (one per publish in
    // flight, moved at every level of async fn) stay small.
    let confirm = Box::pin(channel.basic_publish(
        exchange.into(),
        out.routing_key.into(),
        BasicPublishOptions {
            mandatory: out.mandatory,
            immediate: false,
        },
        out.body,
        out.properties.clone(),
    ))
    .await
    .map_err(|e| classify(exchange, &e))?;
    confirm.await.map_err(|e| classify(exchange, &e))
}

/// Sorts a failed publish to `exchange`. The broker refuses a publish by closing the channel
/// with a soft error, and lapin fails every publish pending on that channel with it, so the
/// error alone does not say which publish was refused:
/// - a refusal that names this exchange (`no exchange 'x'`, `access to exchange 'x' ...
///   refused`) is final: this publish would be refused too;
/// - one that names another exchange was another publish's fault: publish again;
/// - one that names none is [`TryError::Ambiguous`]: publish again alone to find out;
/// - anything else (I/O, a closed connection) is worth another try on a fresh channel.
fn classify(exchange: &str, error: &lapin::Error) -> TryError {
    match error.kind() {
        ErrorKind::ProtocolError(amqp) if error.is_amqp_soft_error() => {
            let text = amqp.get_message().as_str();
            let ours = if exchange.is_empty() {
                "amq.default"
            } else {
                exchange
            };
            if text.contains(&format!("exchange '{ours}'")) {
                TryError::Final(PublishError::Refused {
                    exchange: exchange.to_owned(),
                    reason: amqp.to_string(),
                })
            } else if text.contains("exchange '") {
                TryError::Transient(format!(
                    "the channel was closed because of another publish: {amqp}"
                ))
            } else {
                TryError::Ambiguous(amqp.to_string())
            }
        }
        _ => TryError::Transient(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::protocol::{AMQPError, AMQPErrorKind, AMQPSoftError};

    fn soft(code: AMQPSoftError, text: &str) -> lapin::Error {
        ErrorKind::ProtocolError(AMQPError::new(AMQPErrorKind::Soft(code), text.into())).into()
    }

    #[test]
    fn refusals_are_attributed_by_the_exchange_they_name() {
        let missing = soft(
            AMQPSoftError::NOTFOUND,
            "NOT_FOUND - no exchange 'orders' in vhost '/'",
        );
        assert!(matches!(
            classify("orders", &missing),
            TryError::Final(PublishError::Refused { .. })
        ));
        assert!(matches!(classify("", &missing), TryError::Transient(_)));
        assert!(matches!(
            classify("order", &missing),
            TryError::Transient(_)
        ));
        let denied = soft(
            AMQPSoftError::ACCESSREFUSED,
            "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'u'",
        );
        assert!(matches!(
            classify("", &denied),
            TryError::Final(PublishError::Refused { .. })
        ));
        let too_big = soft(
            AMQPSoftError::PRECONDITIONFAILED,
            "PRECONDITION_FAILED - message size 200000000 is larger than configured max size",
        );
        assert!(matches!(classify("", &too_big), TryError::Ambiguous(_)));
        let io: lapin::Error =
            ErrorKind::InvalidChannelState(lapin::ChannelState::Closing, "basic.publish").into();
        assert!(matches!(classify("", &io), TryError::Transient(_)));
    }
}
