//! Messages made by a test rather than received from a broker, so that a handler fn can be
//! called directly (feature `testing`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};

use super::message::{Envelope, Message};
use crate::action::{Mark, Marks};
use crate::amqp::field;
use crate::amqp::retry::ATTEMPT_HEADER;

/// Delivery tags of test messages: distinct and increasing, as on one channel.
static NEXT_TAG: AtomicU64 = AtomicU64::new(1);

impl<T> Message<T> {
    /// A message carrying `body`, as if received from a queue, for calling a handler fn
    /// directly in a unit test (feature `testing`). The defaults are those of
    /// [`test_builder`](Message::test_builder).
    ///
    /// ```
    /// use asyncworker::prelude::*;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Order { id: u64 }
    ///
    /// #[route(amqp = ["orders"], bulk_size = 10)]
    /// async fn drain(messages: Vec<Message<Order>>) -> Result<(), std::io::Error> {
    ///     for m in &messages {
    ///         if m.body().id == 0 {
    ///             m.reject();
    ///         }
    ///     }
    ///     Ok(())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let bad = Message::for_test(Order { id: 0 });
    /// let good = Message::for_test(Order { id: 1 });
    /// let (bad_mark, good_mark) = (bad.mark_probe(), good.mark_probe());
    /// drain(vec![bad, good]).await.unwrap();
    /// assert_eq!(bad_mark.get(), Some(Action::Reject));
    /// assert_eq!(good_mark.get(), None); // on_success (ack) decides
    /// # }
    /// ```
    pub fn for_test(body: T) -> Message<T> {
        Message::test_builder(body).build()
    }

    /// A builder for a test message carrying `body`, to set what the broker would have set
    /// (feature `testing`).
    ///
    /// Unless set: queue, exchange and routing key empty (the default exchange), not
    /// redelivered, attempt 1, default properties, a delivery tag distinct from every other
    /// test message's, and an empty [`raw`](Message::raw) body: the body is not encoded back
    /// to JSON (that would need `T: Serialize`, which a handler's message type usually is
    /// not); give the bytes with [`raw`](MessageBuilder::raw) when the handler reads them.
    ///
    /// ```
    /// use asyncworker::prelude::*;
    ///
    /// async fn handle(m: Message<String>) {
    ///     if m.redelivered() && m.attempt() > 2 {
    ///         m.reject();
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let m = Message::test_builder("hello".to_owned())
    ///     .queue("greetings")
    ///     .header("source", "test")
    ///     .redelivered(true)
    ///     .attempt(3)
    ///     .build();
    /// assert_eq!(m.routing_key(), "greetings");
    /// let mark = m.mark_probe();
    /// handle(m).await;
    /// assert_eq!(mark.get(), Some(Action::Reject));
    /// # }
    /// ```
    pub fn test_builder(body: T) -> MessageBuilder<T> {
        MessageBuilder {
            body,
            raw: Bytes::new(),
            queue: String::new(),
            exchange: String::new(),
            routing_key: None,
            redelivered: false,
            properties: BasicProperties::default(),
            headers: FieldTable::default(),
        }
    }
}

/// Builds a [`Message`] for a unit test: see [`Message::test_builder`] (feature `testing`).
#[derive(Debug)]
#[must_use = "call .build() to get the message"]
pub struct MessageBuilder<T> {
    body: T,
    raw: Bytes,
    queue: String,
    exchange: String,
    routing_key: Option<String>,
    redelivered: bool,
    properties: BasicProperties,
    /// Set one by one; laid over the headers of `properties` at `build`, so the order of the
    /// calls does not matter.
    headers: FieldTable,
}

impl<T> MessageBuilder<T> {
    /// Sets header `key`; `value` is a string, a number, a bool or any [`AMQPValue`].
    pub fn header(mut self, key: &str, value: impl IntoFieldValue) -> Self {
        self.headers
            .insert(ShortString::from(key), value.into_field_value());
        self
    }

    /// The AMQP properties (content type, message id, headers...). Headers set with
    /// [`header`](Self::header) or [`attempt`](Self::attempt) are added to them.
    pub fn properties(mut self, properties: BasicProperties) -> Self {
        self.properties = properties;
        self
    }

    /// Whether the broker delivered it before.
    pub fn redelivered(mut self, redelivered: bool) -> Self {
        self.redelivered = redelivered;
        self
    }

    /// The queue it came from; also the routing key unless one is set, as through the
    /// default exchange.
    pub fn queue(mut self, queue: &str) -> Self {
        self.queue = queue.to_owned();
        self
    }

    /// The exchange it was published to.
    pub fn exchange(mut self, exchange: &str) -> Self {
        self.exchange = exchange.to_owned();
        self
    }

    /// The routing key it was published with.
    pub fn routing_key(mut self, routing_key: &str) -> Self {
        self.routing_key = Some(routing_key.to_owned());
        self
    }

    /// Which attempt this is ([`Message::attempt`]): sets the header the delayed-retry code
    /// reads and writes.
    pub fn attempt(self, attempt: u32) -> Self {
        self.header(ATTEMPT_HEADER, attempt)
    }

    /// The raw body [`Message::raw`] returns (empty unless set; the body is not encoded).
    pub fn raw(mut self, raw: impl Into<Bytes>) -> Self {
        self.raw = raw.into();
        self
    }

    /// The message, unmarked.
    pub fn build(self) -> Message<T> {
        let mut properties = self.properties;
        if !self.headers.inner().is_empty() {
            let mut headers = properties.headers().clone().unwrap_or_default();
            for (key, value) in &self.headers {
                headers.insert(key.clone(), value.clone());
            }
            properties = properties.with_headers(headers);
        }
        let routing_key = self.routing_key.unwrap_or_else(|| self.queue.clone());
        let envelope = Box::new(Envelope {
            queue: Arc::from(self.queue),
            exchange: ShortString::from(self.exchange),
            routing_key: ShortString::from(routing_key),
            redelivered: self.redelivered,
            delivery_tag: NEXT_TAG.fetch_add(1, Ordering::Relaxed),
            properties,
            data: self.raw,
        });
        Message::new(self.body, envelope, Mark::new(&Marks::new(1), 0))
    }
}

/// A value [`MessageBuilder::header`] takes: strings become `longstr` (what RabbitMQ clients
/// send for strings), numbers and bools their AMQP type, and any [`AMQPValue`] itself.
pub trait IntoFieldValue {
    /// The value as an AMQP field.
    fn into_field_value(self) -> AMQPValue;
}

impl IntoFieldValue for AMQPValue {
    fn into_field_value(self) -> AMQPValue {
        self
    }
}

impl IntoFieldValue for &str {
    fn into_field_value(self) -> AMQPValue {
        field::long(self)
    }
}

impl IntoFieldValue for String {
    fn into_field_value(self) -> AMQPValue {
        AMQPValue::LongString(LongString::from(self))
    }
}

impl IntoFieldValue for &String {
    fn into_field_value(self) -> AMQPValue {
        field::long(self)
    }
}

impl IntoFieldValue for u64 {
    /// `long long` (signed), as the retry headers are; values past `i64::MAX` are capped.
    fn into_field_value(self) -> AMQPValue {
        field::int(self)
    }
}

/// Types lapin already converts exactly (`u64` is left out: lapin takes it for a timestamp).
macro_rules! field_value_via_lapin {
    ($($t:ty),*) => {$(
        impl IntoFieldValue for $t {
            fn into_field_value(self) -> AMQPValue {
                AMQPValue::from(self)
            }
        }
    )*};
}
field_value_via_lapin!(bool, i8, u8, i16, u16, i32, u32, i64, f32, f64, FieldTable);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;

    #[test]
    fn defaults_are_an_unmarked_first_delivery_from_the_default_exchange() {
        let m = Message::for_test(5_u8);
        assert_eq!(*m.body(), 5);
        assert_eq!((m.queue(), m.exchange(), m.routing_key()), ("", "", ""));
        assert!(!m.redelivered());
        assert_eq!(m.attempt(), 1);
        assert!(m.headers().is_none());
        assert!(m.raw().is_empty());
        assert_eq!(m.mark(), None);
    }

    #[test]
    fn delivery_tags_differ() {
        let (a, b) = (Message::for_test(()), Message::for_test(()));
        assert!(b.delivery_tag() > a.delivery_tag());
    }

    #[test]
    fn builder_sets_what_the_broker_would() {
        let props = BasicProperties::default()
            .with_message_id("m-1".into())
            .with_headers(FieldTable::from(std::collections::BTreeMap::from([(
                ShortString::from("kept"),
                field::long("yes"),
            )])));
        let m = Message::test_builder("x")
            .header("trace", "abc")
            .header("n", 3_i32)
            .properties(props) // after `header`: the headers still apply
            .attempt(4)
            .redelivered(true)
            .queue("orders")
            .exchange("shop")
            .raw(&b"{\"id\":1}"[..])
            .build();
        let headers = m.headers().unwrap().inner();
        assert_eq!(headers.get("trace"), Some(&field::long("abc")));
        assert_eq!(headers.get("n"), Some(&AMQPValue::LongInt(3)));
        assert_eq!(headers.get("kept"), Some(&field::long("yes")));
        assert_eq!(m.attempt(), 4);
        assert_eq!(
            m.properties().message_id().as_ref().unwrap().as_str(),
            "m-1"
        );
        assert!(m.redelivered());
        assert_eq!((m.queue(), m.exchange()), ("orders", "shop"));
        assert_eq!(
            m.routing_key(),
            "orders",
            "the queue, as via the default exchange"
        );
        assert_eq!(m.raw(), b"{\"id\":1}");
    }

    #[test]
    fn routing_key_can_differ_from_the_queue() {
        let m = Message::test_builder(())
            .routing_key("order.created")
            .queue("orders")
            .build();
        assert_eq!(m.routing_key(), "order.created");
    }

    #[test]
    fn probes_outlive_the_message_and_see_the_last_mark() {
        let m = Message::for_test(1);
        let probe = m.mark_probe();
        let take = |m: Message<i32>| {
            m.reject();
            m.accept();
        };
        take(m);
        assert_eq!(probe.get(), Some(Action::Ack));
    }

    #[test]
    fn each_test_message_has_its_own_mark() {
        let (a, b) = (Message::for_test(1), Message::for_test(2));
        a.requeue();
        assert_eq!((a.mark(), b.mark()), (Some(Action::Requeue), None));
    }
}
