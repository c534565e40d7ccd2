//! Time to live and dead-lettering, as RabbitMQ applies a queue's arguments: a message whose
//! `x-message-ttl` (or `expiration` property) passed, or that was rejected without requeue,
//! goes to the queue's `x-dead-letter-exchange` with an `x-death` entry saying why.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldArray, FieldTable};

use super::record::Recorded;

/// Why a message was dead-lettered, as `x-death` names it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Reason {
    Rejected,
    Expired,
    /// Dropped from the head of a full queue, or refused by one (`reject-publish-dlx`).
    MaxLen,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Rejected => "rejected",
            Reason::Expired => "expired",
            Reason::MaxLen => "maxlen",
        }
    }
}

/// How long a message may wait in a queue: the shorter of the queue's `x-message-ttl` and the
/// message's `expiration`.
pub(super) fn time_to_live(
    arguments: &FieldTable,
    properties: &BasicProperties,
) -> Option<Duration> {
    let queue = arguments.inner().get("x-message-ttl").and_then(as_u64);
    let message = properties
        .expiration()
        .as_ref()
        .and_then(|e| e.as_str().parse::<u64>().ok());
    [queue, message]
        .into_iter()
        .flatten()
        .min()
        .map(Duration::from_millis)
}

/// What a full queue does, from `x-max-length` and `x-overflow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overflow {
    /// The oldest ready message is dropped (dead-lettered), the new one taken: the default.
    DropHead,
    /// The new message is dropped.
    RejectPublish,
    /// The new message is dead-lettered.
    RejectPublishDlx,
}

/// The maximum number of ready messages of a queue with these `arguments`, and what it does
/// when full; `None` without `x-max-length`.
pub(super) fn max_length(arguments: &FieldTable) -> Option<(usize, Overflow)> {
    let max = arguments.inner().get("x-max-length").and_then(as_u64)?;
    let overflow = match arguments
        .inner()
        .get("x-overflow")
        .and_then(text)
        .as_deref()
    {
        Some("reject-publish") => Overflow::RejectPublish,
        Some("reject-publish-dlx") => Overflow::RejectPublishDlx,
        _ => Overflow::DropHead,
    };
    Some((usize::try_from(max).unwrap_or(usize::MAX), overflow))
}

/// The copy of `message` that a queue with these `arguments` dead-letters, or `None` when it
/// has no dead-letter exchange (the message is dropped).
pub(super) fn copy(
    arguments: &FieldTable,
    queue: &str,
    message: Recorded,
    reason: Reason,
) -> Option<Recorded> {
    let exchange = text(arguments.inner().get("x-dead-letter-exchange")?)?;
    let routing_key = arguments
        .inner()
        .get("x-dead-letter-routing-key")
        .and_then(text)
        .unwrap_or_else(|| message.routing_key.clone());
    let mut headers = message.properties.headers().clone().unwrap_or_default();
    record_death(&mut headers, queue, &message, reason);
    // The per-message TTL is spent: RabbitMQ removes it from the dead-lettered copy.
    let properties = strip_expiration(message.properties.with_headers(headers));
    Some(Recorded {
        exchange,
        routing_key,
        body: message.body,
        properties,
        redelivered: false,
    })
}

/// `properties` without an `expiration` (lapin's properties have no way to unset one field).
fn strip_expiration(p: BasicProperties) -> BasicProperties {
    let mut out = BasicProperties::default();
    if let Some(v) = p.content_type() {
        out = out.with_content_type(v.clone());
    }
    if let Some(v) = p.content_encoding() {
        out = out.with_content_encoding(v.clone());
    }
    if let Some(v) = p.headers() {
        out = out.with_headers(v.clone());
    }
    if let Some(v) = p.delivery_mode() {
        out = out.with_delivery_mode(*v);
    }
    if let Some(v) = p.priority() {
        out = out.with_priority(*v);
    }
    if let Some(v) = p.correlation_id() {
        out = out.with_correlation_id(v.clone());
    }
    if let Some(v) = p.reply_to() {
        out = out.with_reply_to(v.clone());
    }
    if let Some(v) = p.message_id() {
        out = out.with_message_id(v.clone());
    }
    if let Some(v) = p.timestamp() {
        out = out.with_timestamp(*v);
    }
    if let Some(v) = p.kind() {
        out = out.with_type(v.clone());
    }
    if let Some(v) = p.user_id() {
        out = out.with_user_id(v.clone());
    }
    if let Some(v) = p.app_id() {
        out = out.with_app_id(v.clone());
    }
    out
}

/// Adds to `headers` the `x-death` entry of this (queue, reason), counting repeats as
/// RabbitMQ does, and the `x-first-death-*` headers on the first death.
fn record_death(headers: &mut FieldTable, queue: &str, message: &Recorded, reason: Reason) {
    let mut deaths: Vec<AMQPValue> = match headers.inner().get("x-death") {
        Some(AMQPValue::FieldArray(a)) => a.as_slice().to_vec(),
        _ => Vec::new(),
    };
    let same = |d: &AMQPValue| match d {
        AMQPValue::FieldTable(t) => {
            t.inner().get("queue").and_then(text).as_deref() == Some(queue)
                && t.inner().get("reason").and_then(text).as_deref() == Some(reason.as_str())
        }
        _ => false,
    };
    let count = match deaths.iter().position(same) {
        Some(i) => {
            let old = deaths.remove(i);
            match old {
                AMQPValue::FieldTable(t) => {
                    t.inner().get("count").and_then(as_u64).unwrap_or(0) + 1
                }
                _ => 1,
            }
        }
        None => 1,
    };
    let mut entry = FieldTable::default();
    entry.insert("count".into(), AMQPValue::LongLongInt(count as i64));
    entry.insert("reason".into(), long(reason.as_str()));
    entry.insert("queue".into(), long(queue));
    entry.insert("exchange".into(), long(&message.exchange));
    let keys = FieldArray::from(vec![long(&message.routing_key)]);
    entry.insert("routing-keys".into(), AMQPValue::FieldArray(keys));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    entry.insert("time".into(), AMQPValue::Timestamp(now));
    // The most recent death first.
    deaths.insert(0, AMQPValue::FieldTable(entry));
    if !headers.contains_key("x-first-death-queue") {
        headers.insert("x-first-death-queue".into(), long(queue));
        headers.insert("x-first-death-reason".into(), long(reason.as_str()));
        headers.insert("x-first-death-exchange".into(), long(&message.exchange));
    }
    headers.insert(
        "x-death".into(),
        AMQPValue::FieldArray(FieldArray::from(deaths)),
    );
}

fn long(s: &str) -> AMQPValue {
    AMQPValue::LongString(s.into())
}

fn text(v: &AMQPValue) -> Option<String> {
    match v {
        AMQPValue::LongString(s) => Some(s.to_string()),
        AMQPValue::ShortString(s) => Some(s.to_string()),
        _ => None,
    }
}

fn as_u64(v: &AMQPValue) -> Option<u64> {
    match v {
        AMQPValue::LongLongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::LongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::LongUInt(n) => Some(u64::from(*n)),
        AMQPValue::ShortInt(n) => u64::try_from(*n).ok(),
        AMQPValue::ShortUInt(n) => Some(u64::from(*n)),
        AMQPValue::ShortShortInt(n) => u64::try_from(*n).ok(),
        AMQPValue::ShortShortUInt(n) => Some(u64::from(*n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, AMQPValue)]) -> FieldTable {
        let mut t = FieldTable::default();
        for (k, v) in pairs {
            t.insert((*k).into(), v.clone());
        }
        t
    }

    fn message() -> Recorded {
        Recorded {
            exchange: "shop".into(),
            routing_key: "order.created".into(),
            body: bytes::Bytes::from_static(b"{}"),
            properties: BasicProperties::default().with_expiration("500".into()),
            redelivered: true,
        }
    }

    #[test]
    fn the_shorter_of_queue_and_message_ttl_applies() {
        let q = args(&[("x-message-ttl", AMQPValue::LongInt(200))]);
        let p = BasicProperties::default().with_expiration("500".into());
        assert_eq!(time_to_live(&q, &p), Some(Duration::from_millis(200)));
        assert_eq!(
            time_to_live(&FieldTable::default(), &p),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            time_to_live(&FieldTable::default(), &BasicProperties::default()),
            None
        );
    }

    #[test]
    fn a_dead_lettered_copy_names_its_death_and_counts_repeats() {
        let q = args(&[
            ("x-dead-letter-exchange", long("")),
            ("x-dead-letter-routing-key", long("orders")),
        ]);
        let first = copy(&q, "orders.retry", message(), Reason::Expired).expect("a copy");
        assert_eq!(
            (first.exchange.as_str(), first.routing_key.as_str()),
            ("", "orders")
        );
        assert!(first.properties.expiration().is_none(), "the TTL is spent");
        assert!(!first.redelivered);
        assert_eq!(first.header("x-first-death-reason"), Some(&long("expired")));
        let again = copy(&q, "orders.retry", first, Reason::Expired).expect("a copy");
        let Some(AMQPValue::FieldArray(deaths)) = again.header("x-death") else {
            panic!("no x-death")
        };
        assert_eq!(deaths.as_slice().len(), 1, "one entry per (queue, reason)");
        let AMQPValue::FieldTable(entry) = &deaths.as_slice()[0] else {
            panic!()
        };
        assert_eq!(entry.inner().get("count"), Some(&AMQPValue::LongLongInt(2)));
        assert!(copy(&FieldTable::default(), "q", message(), Reason::Rejected).is_none());
    }
}
