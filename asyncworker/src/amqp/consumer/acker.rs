//! Who settles a delivery: lapin's acker on a broker channel, or the in-memory broker under the
//! testing harness. The settler above it (coalescing acks) is the same for both.

use lapin::options::{BasicAckOptions, BasicRejectOptions};

use crate::amqp::retry::Routed;

/// Settles one delivery with the transport it came from.
pub(crate) enum Acker {
    /// A delivery from RabbitMQ.
    Broker(lapin::Acker),
    /// A delivery from the in-memory broker: its channel and delivery tag.
    #[cfg(feature = "testing")]
    Memory {
        broker: std::sync::Arc<crate::amqp::memory::MemoryBroker>,
        channel: u64,
        tag: u64,
    },
}

impl Acker {
    /// `basic.ack`, of every earlier delivery on the channel too with `multiple`. `Ok(false)`:
    /// the channel was closed or recovered before it could be sent.
    pub(crate) async fn ack(&self, multiple: bool) -> Result<bool, String> {
        match self {
            Acker::Broker(a) => a
                .ack(BasicAckOptions { multiple })
                .await
                .map_err(|e| e.to_string()),
            #[cfg(feature = "testing")]
            Acker::Memory {
                broker,
                channel,
                tag,
            } => broker.ack(*channel, *tag, multiple),
        }
    }

    /// `basic.reject`, not `nack`: quorum queues on RabbitMQ 4.3+ count the redelivery.
    pub(crate) async fn reject(&self, requeue: bool) -> Result<bool, String> {
        match self {
            Acker::Broker(a) => a
                .reject(BasicRejectOptions { requeue })
                .await
                .map_err(|e| e.to_string()),
            #[cfg(feature = "testing")]
            Acker::Memory {
                broker,
                channel,
                tag,
            } => broker.reject(*channel, *tag, requeue),
        }
    }

    /// Where the retry path sent this failed delivery; only the in-memory broker records it
    /// (as the delivery's fate), RabbitMQ has nothing to be told.
    pub(crate) fn routed(&self, routed: Routed) {
        match self {
            Acker::Broker(_) => {
                let _ = routed;
            }
            #[cfg(feature = "testing")]
            Acker::Memory {
                broker,
                channel,
                tag,
            } => broker.routed(*channel, *tag, routed),
        }
    }
}
