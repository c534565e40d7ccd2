//! Delayed retries and dead letters (DESIGN §5.4).
//!
//! A message whose handler failed is published, with a confirm, to `<queue>.retry` (a queue
//! whose TTL is `retry_delay` and whose dead-letter target is the original queue), carrying
//! its attempt number in a header; only then is the original acked. After the last retry it
//! goes the same way to the parking queue, with headers naming the error, the route and the
//! original queue. If a republish fails, the original is settled with `on_exception` instead
//! (requeue by default), so a message is never lost to a failed republish.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable, ShortString};

use super::field::{int, long};
use super::publisher::error::PublishError;
use super::publisher::transport::Publisher;
use crate::action::Action;
use crate::observe::metrics::{Metrics, OutcomeLabels};

// RabbitMQ 4 drops `x-` headers that clients set (rabbitmq-server #11339): ours carry no
// prefix. The old names are still read, so that messages in flight across an upgrade keep
// their count, and removed from the copies we write.

/// The attempt number of a delivery: absent on the first delivery, 2 on the first retry...
pub const ATTEMPT_HEADER: &str = "asyncworker-attempt";
/// The error of the last attempt (on retried and dead-lettered messages).
pub const ERROR_HEADER: &str = "asyncworker-error";
/// The route whose handler failed (on dead-lettered messages).
pub const ROUTE_HEADER: &str = "asyncworker-route";
/// The queue the message was consumed from (on dead-lettered messages).
pub const QUEUE_HEADER: &str = "asyncworker-queue";
/// The exchange and routing key the message was first published with.
pub const EXCHANGE_HEADER: &str = "asyncworker-exchange";
/// See [`EXCHANGE_HEADER`].
pub const ROUTING_KEY_HEADER: &str = "asyncworker-routing-key";
/// Unix seconds when the message was dead-lettered.
pub const DEAD_LETTERED_AT_HEADER: &str = "asyncworker-dead-lettered-at";

/// The prefix our headers used to have, still read.
const LEGACY_PREFIX: &str = "x-";

/// The broker's count of earlier deliveries of a message on a quorum queue.
const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";

/// The retry policy of one (route, queue).
pub(crate) struct RetryPolicy {
    pub(crate) route: Arc<str>,
    pub(crate) queue: Arc<str>,
    /// Retries after the first failure.
    pub(crate) retries: u16,
    /// The retry queue of each tier (see [`retry_queues`]); empty when `retries = 0`.
    pub(crate) retry_queues: Vec<String>,
    pub(crate) dead_letter: Option<String>,
    pub(crate) publisher: Arc<Publisher>,
    pub(crate) counters: RetryCounters,
}

/// `asyncworker_amqp_retries_total` by outcome, for one (route, queue).
pub(crate) struct RetryCounters {
    pub(crate) retried: prometheus_client::metrics::counter::Counter,
    pub(crate) dead_lettered: prometheus_client::metrics::counter::Counter,
    pub(crate) exhausted: prometheus_client::metrics::counter::Counter,
    pub(crate) republish_failed: prometheus_client::metrics::counter::Counter,
}

impl RetryCounters {
    /// The handles of (`route`, `queue`), created up front so that failures never build labels.
    pub(crate) fn new(metrics: &Metrics, route: &str, queue: &str) -> RetryCounters {
        let counter = |outcome: &str| {
            metrics
                .amqp_retries
                .get_or_create(&OutcomeLabels {
                    route: route.to_owned(),
                    queue: queue.to_owned(),
                    outcome: outcome.to_owned(),
                })
                .clone()
        };
        RetryCounters {
            retried: counter("retried"),
            dead_lettered: counter("dead_lettered"),
            exhausted: counter("exhausted"),
            republish_failed: counter("republish_failed"),
        }
    }
}

/// The retry queues of `queue`, one per delay, with their TTL: `<queue>.retry` when there is
/// one delay (as before tiers existed), else `<queue>.retry.<delay>` per tier, e.g.
/// `orders.retry.1s`, `orders.retry.30s`, `orders.retry.5m`, so operators see the delay.
pub(crate) fn retry_queues(queue: &str, delays_ms: &[u64]) -> Vec<(String, u64)> {
    match delays_ms {
        [one] => vec![(format!("{queue}.retry"), *one)],
        tiers => tiers
            .iter()
            .map(|&ms| (format!("{queue}.retry.{}", tier_name(ms)), ms))
            .collect(),
    }
}

/// A delay as its largest whole unit: `90s` → `90s`, `120000ms` → `2m`, `1500ms` → `1500ms`.
fn tier_name(ms: u64) -> String {
    match ms {
        0 => "0ms".to_owned(),
        ms if ms % 3_600_000 == 0 => format!("{}h", ms / 3_600_000),
        ms if ms % 60_000 == 0 => format!("{}m", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{}s", ms / 1000),
        ms => format!("{ms}ms"),
    }
}

/// What the retry path needs of a delivery, kept aside because the handler owns the message.
pub(crate) struct Original {
    pub(crate) data: Bytes,
    pub(crate) properties: BasicProperties,
    pub(crate) exchange: ShortString,
    pub(crate) routing_key: ShortString,
    /// The broker delivered it before (the poison guard counts only those again).
    pub(crate) redelivered: bool,
}

/// `name` in `headers`, else its former name (`x-` + `name`).
fn ours<'a>(headers: &'a FieldTable, name: &str) -> Option<&'a AMQPValue> {
    let inner = headers.inner();
    inner
        .get(name)
        .or_else(|| inner.get(format!("{LEGACY_PREFIX}{name}").as_str()))
}

/// A header value as a count, whatever integer type the publisher chose.
fn count(v: &AMQPValue) -> Option<u32> {
    match v {
        AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
        AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
        AMQPValue::LongUInt(n) => Some(*n),
        AMQPValue::ShortInt(n) => u32::try_from(*n).ok(),
        AMQPValue::ShortUInt(n) => Some(u32::from(*n)),
        AMQPValue::ShortShortInt(n) => u32::try_from(*n).ok(),
        AMQPValue::ShortShortUInt(n) => Some(u32::from(*n)),
        _ => None,
    }
}

/// The attempt number our retry path carries in `properties` (1 when the header is absent).
pub(crate) fn attempt_of(properties: &BasicProperties) -> u32 {
    properties
        .headers()
        .as_ref()
        .and_then(|h| ours(h, ATTEMPT_HEADER))
        .and_then(count)
        .unwrap_or(1)
        .max(1)
}

/// How many times a quorum queue delivered this message before (its `x-delivery-count`:
/// requeues, lost channels, timeouts); 0 on classic queues, which do not count.
pub(crate) fn delivery_count(properties: &BasicProperties) -> u32 {
    properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(DELIVERY_COUNT_HEADER))
        .and_then(count)
        .unwrap_or(0)
}

/// Where the retry path sent a failed message whose original it then acks: what the
/// in-memory broker records as the delivery's fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Routed {
    /// A copy waits in the retry queue and will be delivered as `attempt`.
    Retried { attempt: u32 },
    /// A copy is parked in `queue`.
    DeadLettered { queue: String },
}

/// Where a failed message goes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next<'a> {
    Retry {
        queue: &'a str,
        attempt: u32,
    },
    DeadLetter {
        queue: &'a str,
    },
    /// Out of retries and no parking queue: rejected.
    Exhausted,
}

impl RetryPolicy {
    fn next(&self, attempt: u32) -> Next<'_> {
        // Attempt n failed: its retry waits in tier min(n, tiers).
        let tier = (attempt.max(1) as usize).min(self.retry_queues.len());
        match self.retry_queues.get(tier.wrapping_sub(1)) {
            Some(queue) if attempt <= u32::from(self.retries) => Next::Retry {
                queue,
                attempt: attempt + 1,
            },
            _ => match &self.dead_letter {
                Some(queue) => Next::DeadLetter { queue },
                None => Next::Exhausted,
            },
        }
    }

    /// Republishes one failed message and says how to settle the original: `Ack` once the
    /// copy is confirmed (with where the copy went), `fallback` if it could not be published,
    /// `Reject` when out of retries without a parking queue.
    pub(crate) async fn handle(
        &self,
        original: &Original,
        error: &str,
        fallback: Action,
    ) -> (Action, Option<Routed>) {
        let attempt = attempt_of(&original.properties);
        let error = crate::failure::cut_error(error);
        let next = self.next(attempt);
        let (target, headers) = match next {
            Next::Exhausted => return (self.exhausted(attempt, error), None),
            // The copy carries the number of the attempt it will be.
            Next::Retry { queue, attempt } => (queue, self.headers(original, attempt, error)),
            Next::DeadLetter { queue } => (queue, self.parked_headers(original, attempt, error)),
        };
        match self.republish(original, target, headers).await {
            Ok(()) => match next {
                Next::Retry { attempt, .. } => (
                    self.retried(target, attempt),
                    Some(Routed::Retried { attempt }),
                ),
                _ => (
                    self.dead_lettered(target, attempt, error),
                    Some(Routed::DeadLettered {
                        queue: target.to_owned(),
                    }),
                ),
            },
            Err(e) => (self.republish_failed(target, &e, fallback), None),
        }
    }

    /// Publishes the copy of `original` to `target` (through the default exchange) and waits
    /// for the broker's confirm.
    async fn republish(
        &self,
        original: &Original,
        target: &str,
        headers: FieldTable,
    ) -> Result<(), PublishError> {
        // Persistent whatever the original was: it now lives only in the retry/parking queue.
        let properties = original
            .properties
            .clone()
            .with_headers(headers)
            .with_delivery_mode(2);
        // Mandatory: a missing retry or parking queue must fail the republish, not drop the copy.
        self.publisher
            .publish("", target, &original.data, properties, true)
            .await
    }

    /// Out of retries, and nowhere to park the message: it is rejected.
    fn exhausted(&self, attempt: u32, error: &str) -> Action {
        self.counters.exhausted.inc();
        tracing::error!(
            route = %self.route,
            queue = %self.queue,
            attempt,
            error,
            "message failed its last attempt and the route has no dead_letter queue: rejected"
        );
        Action::Reject
    }

    /// The copy waits in `retry_queue`; the original can go.
    fn retried(&self, retry_queue: &str, next_attempt: u32) -> Action {
        self.counters.retried.inc();
        tracing::warn!(
            route = %self.route,
            queue = %self.queue,
            retry_queue,
            next_attempt,
            "failed message sent for a delayed retry"
        );
        Action::Ack
    }

    /// The copy is parked in `dead_letter`; the original can go.
    fn dead_lettered(&self, dead_letter: &str, attempt: u32, error: &str) -> Action {
        self.counters.dead_lettered.inc();
        tracing::error!(
            route = %self.route,
            queue = %self.queue,
            dead_letter,
            attempt,
            error,
            "message failed its last attempt: moved to the dead-letter queue"
        );
        Action::Ack
    }

    /// No copy exists: the original is settled with `fallback` so that it is not lost.
    fn republish_failed(&self, target: &str, e: &PublishError, fallback: Action) -> Action {
        self.counters.republish_failed.inc();
        tracing::error!(
            route = %self.route,
            queue = %self.queue,
            target,
            error = %e,
            action = %fallback,
            "cannot republish the failed message (does the queue exist? declare = true creates it); settling the original with on_exception instead"
        );
        fallback
    }

    /// The headers of a copy: the original's, where the message first came from (kept
    /// across retries), the number of the `attempt` and its `error`.
    fn headers(&self, original: &Original, attempt: u32, error: &str) -> FieldTable {
        let mut h = original.properties.headers().clone().unwrap_or_default();
        upgrade_legacy(&mut h);
        // The broker's count of this delivery says nothing about the copy, a new message.
        if h.contains_key(DELIVERY_COUNT_HEADER) {
            let mut inner = h.inner().clone();
            inner.remove(DELIVERY_COUNT_HEADER);
            h = FieldTable::from(inner);
        }
        if !h.contains_key(EXCHANGE_HEADER) {
            h.insert(EXCHANGE_HEADER.into(), long(original.exchange.as_str()));
            h.insert(
                ROUTING_KEY_HEADER.into(),
                long(original.routing_key.as_str()),
            );
        }
        h.insert(ATTEMPT_HEADER.into(), int(attempt.into()));
        h.insert(ERROR_HEADER.into(), long(error));
        h
    }

    /// The headers of a parked copy: those of any copy, plus who failed it and when, so that
    /// an operator can tell where it came from.
    fn parked_headers(&self, original: &Original, attempt: u32, error: &str) -> FieldTable {
        let mut h = self.headers(original, attempt, error);
        h.insert(ROUTE_HEADER.into(), long(&self.route));
        h.insert(QUEUE_HEADER.into(), long(&self.queue));
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        h.insert(DEAD_LETTERED_AT_HEADER.into(), int(now));
        h
    }
}

/// Renames our former headers (`x-asyncworker-*`) in `h` to their current names, so that a
/// copy carries each once.
fn upgrade_legacy(h: &mut FieldTable) {
    if !h.inner().keys().any(|k| is_legacy(k.as_str())) {
        return;
    }
    let mut inner = h.inner().clone();
    let legacy: Vec<ShortString> = inner
        .keys()
        .filter(|k| is_legacy(k.as_str()))
        .cloned()
        .collect();
    for old in legacy {
        if let Some(v) = inner.remove(&old) {
            let new = ShortString::from(&old.as_str()[LEGACY_PREFIX.len()..]);
            inner.entry(new).or_insert(v);
        }
    }
    *h = FieldTable::from(inner);
}

fn is_legacy(key: &str) -> bool {
    key.strip_prefix(LEGACY_PREFIX)
        .is_some_and(|k| k.starts_with("asyncworker-"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::amqp::connection::ConnectionManager;

    /// A policy of route `route` on queue `orders`; its publisher never connects in these tests.
    fn policy(retries: u16, dead_letter: Option<&str>) -> RetryPolicy {
        let urls = ["amqp://127.0.0.1".to_owned()];
        let connection = ConnectionManager::new(&urls, None, 10, "t".into()).unwrap();
        let publisher = Publisher::new(
            Arc::new(connection),
            CancellationToken::new(),
            Duration::from_secs(1),
        );
        RetryPolicy {
            route: "route".into(),
            queue: "orders".into(),
            retries,
            retry_queues: if retries > 0 {
                vec!["orders.retry".to_owned()]
            } else {
                Vec::new()
            },
            dead_letter: dead_letter.map(str::to_owned),
            publisher: Arc::new(publisher),
            counters: RetryCounters::new(&Metrics::new(), "route", "orders"),
        }
    }

    fn original(properties: BasicProperties, exchange: &str, routing_key: &str) -> Original {
        Original {
            data: Bytes::new(),
            properties,
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            redelivered: false,
        }
    }

    #[test]
    fn failed_messages_are_retried_then_parked_or_rejected() {
        let p = policy(2, Some("orders.parking"));
        let retry = |attempt| Next::Retry {
            queue: "orders.retry",
            attempt,
        };
        assert_eq!(p.next(1), retry(2));
        assert_eq!(p.next(2), retry(3));
        assert_eq!(
            p.next(3),
            Next::DeadLetter {
                queue: "orders.parking"
            }
        );
        assert_eq!(policy(0, None).next(1), Next::Exhausted);
    }

    #[test]
    fn attempt_n_waits_in_tier_min_n_tiers_named_by_its_delay() {
        let tiers = retry_queues("orders", &[1000, 2000]);
        assert_eq!(
            tiers,
            [
                ("orders.retry.1s".to_owned(), 1000),
                ("orders.retry.2s".to_owned(), 2000)
            ]
        );
        assert_eq!(
            retry_queues("orders", &[1500]),
            [("orders.retry".to_owned(), 1500)]
        );
        assert_eq!(tier_name(300_000), "5m");
        assert_eq!(tier_name(7_200_000), "2h");
        assert_eq!(tier_name(1500), "1500ms");
        let mut p = policy(3, Some("orders.parking"));
        p.retry_queues = tiers.into_iter().map(|(q, _)| q).collect();
        let retry = |queue, attempt| Next::Retry { queue, attempt };
        assert_eq!(p.next(1), retry("orders.retry.1s", 2));
        assert_eq!(p.next(2), retry("orders.retry.2s", 3));
        assert_eq!(p.next(3), retry("orders.retry.2s", 4));
        assert_eq!(
            p.next(4),
            Next::DeadLetter {
                queue: "orders.parking"
            }
        );
    }

    #[test]
    fn copies_carry_the_attempt_the_error_and_where_the_message_came_from() {
        let p = policy(1, Some("orders.parking"));
        let first = original(BasicProperties::default(), "events", "order.created");
        let h = p.headers(&first, 2, "boom");
        let get = |h: &FieldTable, k: &str| h.inner().get(k).cloned();
        assert_eq!(get(&h, EXCHANGE_HEADER), Some(long("events")));
        assert_eq!(get(&h, ROUTING_KEY_HEADER), Some(long("order.created")));
        assert_eq!(get(&h, ATTEMPT_HEADER), Some(int(2)));
        assert_eq!(get(&h, ERROR_HEADER), Some(long("boom")));
        // Back from the retry queue it comes through the default exchange: the first exchange
        // and routing key are kept.
        let again = original(BasicProperties::default().with_headers(h), "", "orders");
        let parked = p.parked_headers(&again, 2, "boom again");
        assert_eq!(get(&parked, EXCHANGE_HEADER), Some(long("events")));
        assert_eq!(get(&parked, ERROR_HEADER), Some(long("boom again")));
        assert_eq!(get(&parked, ROUTE_HEADER), Some(long("route")));
        assert_eq!(get(&parked, QUEUE_HEADER), Some(long("orders")));
        assert!(get(&parked, DEAD_LETTERED_AT_HEADER).is_some());
    }

    fn with_attempt(v: AMQPValue) -> BasicProperties {
        let mut h = FieldTable::default();
        h.insert(ATTEMPT_HEADER.into(), v);
        BasicProperties::default().with_headers(h)
    }

    #[test]
    fn attempt_header_read_from_any_integer_type() {
        assert_eq!(attempt_of(&BasicProperties::default()), 1);
        assert_eq!(attempt_of(&with_attempt(AMQPValue::LongLongInt(3))), 3);
        assert_eq!(attempt_of(&with_attempt(AMQPValue::ShortShortUInt(2))), 2);
        assert_eq!(attempt_of(&with_attempt(AMQPValue::LongInt(-4))), 1);
        assert_eq!(attempt_of(&with_attempt(AMQPValue::Boolean(true))), 1);
    }

    #[test]
    fn former_header_names_are_read_and_renamed_on_the_next_copy() {
        let mut h = FieldTable::default();
        h.insert("x-asyncworker-attempt".into(), AMQPValue::LongLongInt(3));
        h.insert("x-asyncworker-exchange".into(), long("events"));
        h.insert("x-asyncworker-routing-key".into(), long("order.created"));
        h.insert("x-delivery-count".into(), AMQPValue::LongLongInt(2));
        h.insert("x-other".into(), long("kept"));
        let props = BasicProperties::default().with_headers(h);
        assert_eq!(attempt_of(&props), 3);
        assert_eq!(delivery_count(&props), 2);
        let p = policy(5, None);
        let copy = p.headers(&original(props, "", "orders"), 4, "boom");
        let keys: Vec<&str> = copy.inner().keys().map(|k| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                ATTEMPT_HEADER,
                ERROR_HEADER,
                EXCHANGE_HEADER,
                ROUTING_KEY_HEADER,
                "x-other"
            ]
        );
        assert_eq!(copy.inner().get(EXCHANGE_HEADER), Some(&long("events")));
        assert_eq!(copy.inner().get(ATTEMPT_HEADER), Some(&int(4)));
    }
}
