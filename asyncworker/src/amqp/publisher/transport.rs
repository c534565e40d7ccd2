//! Where a publish goes: RabbitMQ, with confirms, or the in-memory broker of the testing
//! harness. `app.amqp()` and the retry path publish through this and nothing else.

use lapin::BasicProperties;

use super::error::PublishError;
use super::publish::BrokerPublisher;

/// A publisher on one channel of a publisher connection, or into the in-memory broker.
#[allow(
    clippy::large_enum_variant,
    reason = "a few per worker, behind an Arc; boxing would add an indirection to every real publish"
)]
pub(crate) enum Publisher {
    /// Confirmed publishing to RabbitMQ.
    Broker(BrokerPublisher),
    /// The harness's broker; `record` keeps a copy for `TestWorker::published` (what
    /// `app.amqp()` sends, not the retry path's copies).
    #[cfg(feature = "testing")]
    Memory {
        broker: std::sync::Arc<crate::amqp::memory::MemoryBroker>,
        record: bool,
    },
}

impl Publisher {
    /// A publisher to RabbitMQ over `connection`.
    pub(crate) fn new(
        connection: std::sync::Arc<crate::amqp::connection::ConnectionManager>,
        closed: tokio_util::sync::CancellationToken,
        timeout: std::time::Duration,
    ) -> Publisher {
        Publisher::Broker(BrokerPublisher::new(connection, closed, timeout))
    }

    /// Publishes and waits for the broker's confirm (the in-memory broker takes it at once).
    pub(crate) async fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
        mandatory: bool,
    ) -> Result<(), PublishError> {
        match self {
            Publisher::Broker(p) => {
                p.publish(exchange, routing_key, body, properties, mandatory)
                    .await
            }
            #[cfg(feature = "testing")]
            Publisher::Memory { broker, record } => {
                let body = bytes::Bytes::copy_from_slice(body);
                broker
                    .publish(exchange, routing_key, properties, body, mandatory, *record)
                    .map(|_| ())
            }
        }
    }

    /// Closes the channel; later publishes fail.
    pub(crate) async fn close(&self) {
        match self {
            Publisher::Broker(p) => p.close().await,
            #[cfg(feature = "testing")]
            Publisher::Memory { .. } => {}
        }
    }
}
