//! Queues a route declares (`declare = true`) or, for `--check`, expects to exist.
//!
//! ```text
//!   publisher ──▶ orders ──▶ handler ──Err──▶ orders.retry (TTL = retry_delay)
//!                   ▲                              │ dead-letters back
//!                   └──────────────────────────────┘
//!                            after the last retry ──▶ orders.parking
//! ```
//!
//! With `retry_delay = ["1s", "30s"]` there is one retry queue per tier (`orders.retry.1s`,
//! `orders.retry.30s`), each dead-lettering back the same way.

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ExchangeKind};

use super::def::{QueueType, TopologyOptions};
use super::field::{int, long};
use super::mismatch::Mismatch;

/// A queue as a route wants it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueueSpec {
    pub(crate) name: String,
    /// What the queue is for, in messages: "queue", "retry queue", "dead-letter queue".
    pub(crate) role: &'static str,
    pub(crate) arguments: FieldTable,
}

/// An exchange a route binds its queue to (`bind`), declared durable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExchangeSpec {
    pub(crate) name: String,
    /// "direct", "topic", "fanout" or "headers".
    pub(crate) kind: &'static str,
}

/// A binding of the route's queue (the first of `Topology::queues`) to an exchange.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BindingSpec {
    pub(crate) exchange: String,
    pub(crate) key: String,
    /// A headers exchange's match arguments; empty otherwise.
    pub(crate) arguments: FieldTable,
}

/// The queues of one route's queue: itself, its retry queue and its parking queue; and the
/// exchanges and bindings that feed it.
#[derive(Debug, Clone)]
pub(crate) struct Topology {
    pub(crate) declare: bool,
    pub(crate) queues: Vec<QueueSpec>,
    pub(crate) exchanges: Vec<ExchangeSpec>,
    pub(crate) bindings: Vec<BindingSpec>,
}

impl Topology {
    pub(crate) fn new(
        queue: &str,
        queue_type: QueueType,
        declare: bool,
        retry: Option<(&str, u64)>,
        dead_letter: Option<&str>,
    ) -> Topology {
        let spec = |name: &str, role, arguments| QueueSpec {
            name: name.to_owned(),
            role,
            arguments,
        };
        let mut queues = vec![spec(queue, "queue", typed(queue_type))];
        if let Some((retry_queue, ttl_ms)) = retry {
            let arguments = retry_arguments(queue, queue_type, ttl_ms);
            queues.push(spec(retry_queue, "retry queue", arguments));
        }
        if let Some(parking) = dead_letter {
            queues.push(spec(parking, "dead-letter queue", typed(queue_type)));
        }
        Topology {
            declare,
            queues,
            exchanges: Vec::new(),
            bindings: Vec::new(),
        }
    }

    /// Adds what `declare = true` creates besides the queues: the main queue's arguments (its
    /// dead-letter target being the parking queue, so that `reject()` parks), the exchanges
    /// and the bindings. A route that does not declare creates nothing, so gets nothing.
    pub(crate) fn shaped(mut self, options: &TopologyOptions, dead_letter: Option<&str>) -> Self {
        if !self.declare {
            return self;
        }
        let main = &mut self.queues[0];
        for (key, value) in main_arguments(options, dead_letter) {
            main.arguments.insert(key.into(), value);
        }
        for (exchange, key) in options.bind {
            // `amq.*` exchanges exist on every vhost and cannot be declared.
            let spec = ExchangeSpec {
                name: (*exchange).to_owned(),
                kind: options.exchange_type,
            };
            if !exchange.starts_with("amq.") && !self.exchanges.contains(&spec) {
                self.exchanges.push(spec);
            }
            self.bindings.push(BindingSpec {
                exchange: (*exchange).to_owned(),
                key: (*key).to_owned(),
                arguments: binding_arguments(options),
            });
        }
        self
    }

    /// One more retry tier of `queue`: `name` holds messages for `ttl_ms` (see `new`).
    pub(crate) fn add_retry_tier(
        &mut self,
        queue: &str,
        queue_type: QueueType,
        name: &str,
        ttl_ms: u64,
    ) {
        self.queues.push(QueueSpec {
            name: name.to_owned(),
            role: "retry queue",
            arguments: retry_arguments(queue, queue_type, ttl_ms),
        });
    }

    /// Declares every exchange and queue (durable) on `channel`, then binds the main queue. A
    /// queue or exchange that exists with other arguments makes the broker close the channel;
    /// the error says which argument differs, and both values.
    pub(crate) async fn declare(&self, channel: &Channel) -> Result<(), String> {
        for e in &self.exchanges {
            channel
                .exchange_declare(
                    e.name.as_str().into(),
                    exchange_kind(e.kind),
                    ExchangeDeclareOptions {
                        durable: true,
                        ..ExchangeDeclareOptions::default()
                    },
                    FieldTable::default(),
                )
                .await
                .map_err(|err| failed("exchange", &e.name, &err))?;
        }
        self.declare_queues(channel).await?;
        let queue = self.queues[0].name.as_str();
        for b in &self.bindings {
            channel
                .queue_bind(
                    queue.into(),
                    b.exchange.as_str().into(),
                    b.key.as_str().into(),
                    QueueBindOptions::default(),
                    b.arguments.clone(),
                )
                .await
                .map_err(|e| {
                    format!(
                        "cannot bind queue `{queue}` to exchange `{}` with key `{}`: {e}",
                        b.exchange, b.key
                    )
                })?;
        }
        Ok(())
    }

    async fn declare_queues(&self, channel: &Channel) -> Result<(), String> {
        for q in &self.queues {
            channel
                .queue_declare(
                    q.name.as_str().into(),
                    QueueDeclareOptions {
                        durable: true,
                        ..QueueDeclareOptions::default()
                    },
                    q.arguments.clone(),
                )
                .await
                .map_err(|e| failed(q.role, &q.name, &e))?;
        }
        Ok(())
    }
}

/// Why declaring `name` failed: the mismatch in our words when the broker says 406.
pub(crate) fn failed(role: &str, name: &str, e: &lapin::Error) -> String {
    let text = e.to_string();
    match Mismatch::parse(&text) {
        Some(m) => m.to_string(),
        None if text.contains("PRECONDITION_FAILED") => format!(
            "cannot declare {role} `{name}`: it exists with other arguments; delete it or change \
             the route's options: {text}"
        ),
        None => format!("cannot declare {role} `{name}`: {text}"),
    }
}

/// The arguments of a route's main queue beyond its type, from the route's options.
fn main_arguments(
    o: &TopologyOptions,
    dead_letter: Option<&str>,
) -> Vec<(&'static str, AMQPValue)> {
    let mut args = Vec::new();
    if let Some(n) = o.max_length {
        args.push(("x-max-length", int(n)));
    }
    if let Some(overflow) = o.overflow {
        args.push(("x-overflow", long(overflow)));
    }
    if let Some(ms) = o.message_ttl_ms {
        args.push(("x-message-ttl", int(ms)));
    }
    if let Some(n) = o.delivery_limit {
        args.push(("x-delivery-limit", int(n)));
    }
    if o.single_active {
        args.push(("x-single-active-consumer", AMQPValue::Boolean(true)));
    }
    // Rejected (and expired, and dropped-at-the-head) messages go to the parking queue
    // through the default exchange, instead of being dropped.
    if let Some(parking) = dead_letter {
        args.push(("x-dead-letter-exchange", long("")));
        args.push(("x-dead-letter-routing-key", long(parking)));
    }
    args
}

/// A binding's arguments: `bind_headers` for a headers exchange, none otherwise.
fn binding_arguments(o: &TopologyOptions) -> FieldTable {
    let mut args = FieldTable::default();
    if o.exchange_type == "headers" {
        for (name, value) in o.bind_headers {
            args.insert((*name).into(), long(value));
        }
    }
    args
}

/// lapin's name for an exchange type the macro accepted.
fn exchange_kind(kind: &str) -> ExchangeKind {
    match kind {
        "direct" => ExchangeKind::Direct,
        "fanout" => ExchangeKind::Fanout,
        "headers" => ExchangeKind::Headers,
        "topic" => ExchangeKind::Topic,
        other => ExchangeKind::Custom(other.to_owned()),
    }
}

/// The arguments every queue of the route gets: its type.
fn typed(queue_type: QueueType) -> FieldTable {
    let mut args = FieldTable::default();
    // Classic is the broker's default: leaving the argument out keeps queues declared
    // elsewhere without it equivalent.
    if queue_type == QueueType::Quorum {
        args.insert("x-queue-type".into(), long(queue_type.as_str()));
    }
    args
}

/// A retry queue holds each message for `ttl_ms`, then dead-letters it back to `queue`
/// through the default exchange.
fn retry_arguments(queue: &str, queue_type: QueueType, ttl_ms: u64) -> FieldTable {
    let mut args = typed(queue_type);
    args.insert("x-message-ttl".into(), int(ttl_ms));
    args.insert("x-dead-letter-exchange".into(), long(""));
    args.insert("x-dead-letter-routing-key".into(), long(queue));
    if queue_type == QueueType::Quorum {
        // Quorum queues dead-letter at most once unless asked: a message on its way back
        // from the retry queue must not be lost. RabbitMQ honours at-least-once only with
        // `reject-publish` overflow, and silently falls back to at-most-once without it.
        args.insert("x-dead-letter-strategy".into(), long("at-least-once"));
        args.insert("x-overflow".into(), long("reject-publish"));
    }
    args
}

/// `Some((ready messages, consumers))` if `queue` exists, `None` if not. Uses a channel of its
/// own: a passive declare of a missing queue makes the broker close the channel.
pub(crate) async fn inspect(conn: &Connection, queue: &str) -> Result<Option<(u32, u32)>, String> {
    let channel = conn
        .create_channel()
        .await
        .map_err(|e| format!("cannot open a channel: {e}"))?;
    let result = channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await;
    match result {
        Ok(q) => {
            let _ = channel.close(200, "checked".into()).await;
            Ok(Some((q.message_count(), q.consumer_count())))
        }
        Err(e) if e.to_string().contains("NOT_FOUND") => Ok(None),
        Err(e) => Err(format!("cannot inspect queue `{queue}`: {e}")),
    }
}

/// For `--check` of a queue or exchange that exists and that the route declares: would the
/// declaration succeed? An equivalent declaration changes nothing; one with other arguments is
/// refused (406) with the words the consumer would log. On a channel of its own, which a 406
/// closes.
pub(crate) async fn equivalent(conn: &Connection, what: Declared<'_>) -> Result<(), String> {
    let channel = conn
        .create_channel()
        .await
        .map_err(|e| format!("cannot open a channel: {e}"))?;
    let durable = true;
    let result = match what {
        Declared::Queue(q) => channel
            .queue_declare(
                q.name.as_str().into(),
                QueueDeclareOptions {
                    durable,
                    ..QueueDeclareOptions::default()
                },
                q.arguments.clone(),
            )
            .await
            .map(drop)
            .map_err(|e| failed(q.role, &q.name, &e)),
        Declared::Exchange(e) => channel
            .exchange_declare(
                e.name.as_str().into(),
                exchange_kind(e.kind),
                ExchangeDeclareOptions {
                    durable,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|err| failed("exchange", &e.name, &err)),
    };
    if result.is_ok() {
        let _ = channel.close(200, "checked".into()).await;
    }
    result
}

/// What [`equivalent`] declares again.
#[derive(Clone, Copy)]
pub(crate) enum Declared<'a> {
    Queue(&'a QueueSpec),
    Exchange(&'a ExchangeSpec),
}

/// Whether exchange `name` exists. Uses a channel of its own: a passive declare of a missing
/// exchange makes the broker close the channel.
pub(crate) async fn exchange_exists(
    conn: &Connection,
    spec: &ExchangeSpec,
) -> Result<bool, String> {
    let channel = conn
        .create_channel()
        .await
        .map_err(|e| format!("cannot open a channel: {e}"))?;
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..ExchangeDeclareOptions::default()
    };
    let result = channel
        .exchange_declare(
            spec.name.as_str().into(),
            exchange_kind(spec.kind),
            passive,
            FieldTable::default(),
        )
        .await;
    match result {
        Ok(()) => {
            let _ = channel.close(200, "checked".into()).await;
            Ok(true)
        }
        Err(e) if e.to_string().contains("NOT_FOUND") => Ok(false),
        Err(e) => Err(format!("cannot inspect exchange `{}`: {e}", spec.name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::types::AMQPValue;

    #[test]
    fn retry_queue_dead_letters_back_to_its_queue() {
        let t = Topology::new(
            "orders",
            QueueType::Quorum,
            true,
            Some(("orders.retry", 1500)),
            Some("orders.parking"),
        );
        let names: Vec<&str> = t.queues.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["orders", "orders.retry", "orders.parking"]);
        let retry = t.queues[1].arguments.inner();
        assert_eq!(
            retry.get("x-message-ttl"),
            Some(&AMQPValue::LongLongInt(1500))
        );
        assert_eq!(
            retry.get("x-dead-letter-routing-key"),
            Some(&long("orders"))
        );
        assert_eq!(retry.get("x-dead-letter-exchange"), Some(&long("")));
        assert_eq!(
            retry.get("x-dead-letter-strategy"),
            Some(&long("at-least-once"))
        );
        assert_eq!(
            t.queues[2].arguments.inner().get("x-queue-type"),
            Some(&long("quorum"))
        );
    }

    #[test]
    fn classic_queues_carry_no_type_argument() {
        let t = Topology::new("jobs", QueueType::Classic, true, None, None);
        assert_eq!(t.queues.len(), 1);
        assert!(t.queues[0].arguments.inner().is_empty());
    }

    #[test]
    fn declared_main_queues_get_their_arguments_and_bindings() {
        let options = TopologyOptions {
            bind: &[
                ("shop", "order.*"),
                ("shop", "invoice.paid"),
                ("amq.topic", "#"),
            ],
            max_length: Some(100),
            overflow: Some("reject-publish"),
            message_ttl_ms: Some(30_000),
            delivery_limit: Some(5),
            single_active: true,
            ..TopologyOptions::DEFAULT
        };
        let t = Topology::new(
            "orders",
            QueueType::Quorum,
            true,
            None,
            Some("orders.parking"),
        )
        .shaped(&options, Some("orders.parking"));
        let main = t.queues[0].arguments.inner();
        assert_eq!(main.get("x-max-length"), Some(&int(100)));
        assert_eq!(main.get("x-overflow"), Some(&long("reject-publish")));
        assert_eq!(main.get("x-message-ttl"), Some(&int(30_000)));
        assert_eq!(main.get("x-delivery-limit"), Some(&int(5)));
        assert_eq!(
            main.get("x-single-active-consumer"),
            Some(&AMQPValue::Boolean(true))
        );
        assert_eq!(main.get("x-dead-letter-exchange"), Some(&long("")));
        assert_eq!(
            main.get("x-dead-letter-routing-key"),
            Some(&long("orders.parking"))
        );
        // The parking queue keeps only its type.
        assert_eq!(t.queues[1].arguments.inner().len(), 1);
        // One declaration per exchange; `amq.*` ones exist already.
        assert_eq!(
            t.exchanges,
            [ExchangeSpec {
                name: "shop".into(),
                kind: "topic"
            }]
        );
        let keys: Vec<&str> = t.bindings.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(keys, ["order.*", "invoice.paid", "#"]);
    }

    #[test]
    fn a_route_that_does_not_declare_gets_nothing_more() {
        let options = TopologyOptions {
            bind: &[("shop", "#")],
            max_length: Some(1),
            ..TopologyOptions::DEFAULT
        };
        let t = Topology::new("jobs", QueueType::Classic, false, None, Some("parking"))
            .shaped(&options, Some("parking"));
        assert!(t.queues[0].arguments.inner().is_empty());
        assert!(t.exchanges.is_empty() && t.bindings.is_empty());
    }

    #[test]
    fn header_bindings_carry_their_arguments() {
        let options = TopologyOptions {
            bind: &[("docs", "")],
            exchange_type: "headers",
            bind_headers: &[("x-match", "any"), ("kind", "order")],
            ..TopologyOptions::DEFAULT
        };
        let t = Topology::new("q", QueueType::Classic, true, None, None).shaped(&options, None);
        let args = t.bindings[0].arguments.inner();
        assert_eq!(args.get("x-match"), Some(&long("any")));
        assert_eq!(args.get("kind"), Some(&long("order")));
        assert!(!t.queues[0].arguments.contains_key("x-dead-letter-exchange"));
    }
}
