//! What a test does with the in-memory broker: publish, declare and bind, and read what
//! became of the messages.

use bytes::Bytes;
use serde::Serialize;

use super::worker::TestWorker;
use crate::amqp::memory::{ExchangeKind, Fate, MemoryBroker, Recorded};
use crate::amqp::{BasicProperties, FieldTable};
use crate::codec::Encode;

impl TestWorker {
    fn broker(&self) -> &MemoryBroker {
        &self.parts.transports.broker
    }

    /// Publishes `body` as JSON (persistent, `application/json`) to `queue` through the
    /// default exchange.
    ///
    /// # Panics
    /// If there is no such queue (a route's queue, its retry and parking queues, or one the
    /// test declared): on a broker the message would vanish, in a test it is a typo.
    pub fn publish<T: Serialize + ?Sized>(&self, queue: &str, body: &T) {
        let (bytes, properties) = json(body);
        self.publish_raw(queue, bytes, properties);
    }

    /// Encodes `body` with codec `C` and publishes it (persistent, the codec's content type)
    /// to `queue` through the default exchange, as `app.amqp().publish_with` does.
    ///
    /// # Panics
    /// If there is no such queue, or `body` does not encode.
    pub fn publish_with<C: Encode<T>, T: ?Sized>(&self, queue: &str, body: &T) {
        let (bytes, properties) =
            crate::amqp::encoded_message::<C, T>(body).unwrap_or_else(|e| panic!("{e}"));
        self.publish_raw(queue, bytes, properties);
    }

    /// Publishes `body` as it is, with `properties`, to `queue` through the default exchange.
    ///
    /// # Panics
    /// If there is no such queue.
    pub fn publish_raw(&self, queue: &str, body: impl Into<Bytes>, properties: BasicProperties) {
        let names = self.broker().queue_names();
        if !names.iter().any(|q| q == queue) {
            panic!("no in-memory queue is named {queue:?}; the queues are {names:?}");
        }
        self.send("", queue, body.into(), properties);
    }

    /// Publishes `body` as JSON to `exchange` with `routing_key`; it goes to the queues bound
    /// there (none: it is dropped, as RabbitMQ drops it).
    ///
    /// # Panics
    /// If the exchange was not declared.
    pub fn publish_to<T: Serialize + ?Sized>(&self, exchange: &str, routing_key: &str, body: &T) {
        let (bytes, properties) = json(body);
        self.publish_raw_to(exchange, routing_key, bytes, properties);
    }

    /// Publishes `body` as it is, with `properties` (headers for a headers exchange), to
    /// `exchange` with `routing_key`.
    ///
    /// # Panics
    /// If the exchange was not declared.
    pub fn publish_raw_to(
        &self,
        exchange: &str,
        routing_key: &str,
        body: impl Into<Bytes>,
        properties: BasicProperties,
    ) {
        if !self.broker().has_exchange(exchange) {
            panic!(
                "no in-memory exchange is named {exchange:?}; declare it with `declare_exchange`"
            );
        }
        self.send(exchange, routing_key, body.into(), properties);
    }

    fn send(&self, exchange: &str, routing_key: &str, body: Bytes, properties: BasicProperties) {
        let routed = self
            .broker()
            .publish(exchange, routing_key, properties, body, false, false);
        if let Err(e) = routed {
            panic!("publishing to {exchange:?} with {routing_key:?} failed: {e}");
        }
    }

    /// Declares an exchange of `kind`.
    ///
    /// # Panics
    /// If it exists with another kind.
    pub fn declare_exchange(&self, name: &str, kind: ExchangeKind) {
        self.broker()
            .declare_exchange(name, kind)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Declares a queue with `arguments` (`x-message-ttl`, `x-dead-letter-exchange`, ...),
    /// unless it exists.
    pub fn declare_queue(&self, name: &str, arguments: FieldTable) {
        self.broker()
            .declare_queue(name, &arguments, false)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Binds `queue` to `exchange` with `routing_key` (a pattern on a topic exchange).
    ///
    /// # Panics
    /// If the queue or the exchange does not exist.
    pub fn bind(&self, queue: &str, exchange: &str, routing_key: &str) {
        self.broker()
            .bind(queue, exchange, routing_key, &FieldTable::default())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Binds `queue` to the headers exchange `exchange` with `arguments` (`x-match` = `all`
    /// or `any`, and the headers to match).
    ///
    /// # Panics
    /// If the queue or the exchange does not exist.
    pub fn bind_headers(&self, queue: &str, exchange: &str, arguments: FieldTable) {
        self.broker()
            .bind(queue, exchange, "", &arguments)
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Every delivery from `queue` that was settled, in order, with what became of it: acked,
    /// rejected, requeued, retried (with the attempt its copy will be) or dead-lettered (with
    /// the parking queue). A message delivered three times appears three times.
    pub fn fates(&self, queue: &str) -> Vec<Fate> {
        self.broker().fates(queue)
    }

    /// What handlers, hooks and schedules published through `app.amqp()` to `exchange` with
    /// `routing_key` (`""` and the queue's name for the default exchange), in order.
    pub fn published(&self, exchange: &str, routing_key: &str) -> Vec<Recorded> {
        self.broker().published(exchange, routing_key)
    }

    /// The messages waiting in `queue`, in order (a parking queue, a queue nobody consumes).
    ///
    /// # Panics
    /// If there is no such queue.
    pub fn queue(&self, name: &str) -> Vec<Recorded> {
        self.broker().ready(name).unwrap_or_else(|| {
            let names = self.broker().queue_names();
            panic!("no in-memory queue is named {name:?}; the queues are {names:?}")
        })
    }
}

fn json<T: Serialize + ?Sized>(body: &T) -> (Vec<u8>, BasicProperties) {
    crate::amqp::json_message(body).unwrap_or_else(|e| panic!("{e}"))
}
