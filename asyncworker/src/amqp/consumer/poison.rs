//! The poison guard: on a route without `retries`, a message whose handler fails is requeued
//! (`on_exception = "requeue"`, the default), and one that always fails would come straight
//! back, forever, at full speed. The guard holds each failed delivery unsettled for a backoff
//! that grows with its redeliveries before requeueing it, and rejects it (dead-lettered where
//! the queue has a target) after `max_redeliveries` deliveries.
//!
//! "The same message": on a quorum queue the broker counts its deliveries
//! (`x-delivery-count`); a classic queue only says `redelivered`, so the guard remembers how
//! often each message failed, by `message_id` or else by a hash of its body and properties,
//! in a bounded memory per (route, queue) that forgets a message once it is settled otherwise.
//! A worker restart forgets every count: a poison message then gets up to `max_redeliveries`
//! more deliveries.
//!
//! The held delivery keeps its prefetch slot; the others keep flowing. At shutdown every held
//! delivery is requeued at once.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio_util::sync::CancellationToken;

use crate::action::Action;
use crate::amqp::retry::{Original, delivery_count};
use crate::backoff::Backoff;
use crate::clock::{Clock, Wait};
use crate::observe::metrics::{Metrics, OutcomeLabels};

/// The delay before a failed delivery is requeued: 100 ms after the first failure, doubling
/// up to 2 s. With the default 20 deliveries a poison message is rejected after about half a
/// minute, having cost the worker 20 handler calls.
const HOLD: Backoff = Backoff {
    base: Duration::from_millis(100),
    cap: Duration::from_secs(2),
};

/// How many failed messages a classic queue's guard remembers.
const MEMORY: usize = 10_000;

/// The poison guard of one (route, queue).
pub(crate) struct PoisonGuard {
    pub(crate) route: Arc<str>,
    pub(crate) queue: Arc<str>,
    /// Deliveries of one message before it is rejected (at least 1).
    max: u32,
    clock: Clock,
    /// Cancelled at shutdown: held deliveries go back at once, new failures are not held.
    release: CancellationToken,
    failures: Mutex<Failures>,
    /// `asyncworker_amqp_retries_total{outcome="held"}`: failed deliveries held, then requeued.
    held: Counter,
    /// `asyncworker_amqp_retries_total{outcome="redelivery_limit"}`: rejected by the guard.
    rejected: Counter,
}

/// What the guard decided for a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Requeue it after this delay.
    Hold(Duration),
    /// Requeue it now (shutting down).
    Requeue,
    /// Delivered `max` times: reject it.
    Reject,
}

impl PoisonGuard {
    /// The guard of (`route`, `queue`), rejecting after `max` deliveries (`max` ≥ 1), counted
    /// in `metrics`.
    pub(crate) fn new(
        route: Arc<str>,
        queue: Arc<str>,
        max: u16,
        clock: Clock,
        metrics: &Metrics,
    ) -> PoisonGuard {
        let counter = |outcome: &str| {
            metrics
                .amqp_retries
                .get_or_create(&OutcomeLabels {
                    route: route.to_string(),
                    queue: queue.to_string(),
                    outcome: outcome.to_owned(),
                })
                .clone()
        };
        let (held, rejected) = (counter("held"), counter("redelivery_limit"));
        PoisonGuard {
            held,
            rejected,
            route,
            queue,
            max: u32::from(max.max(1)),
            clock,
            release: CancellationToken::new(),
            failures: Mutex::new(Failures::default()),
        }
    }

    /// Requeues every held delivery now, and holds no more: the consumer is stopping.
    pub(crate) fn release_all(&self) {
        self.release.cancel();
    }

    /// Whether the guard needs a copy of this delivery ([`Original`]) to judge it. A first
    /// delivery is delivery 1 whatever it is, so only redeliveries are copied and counted:
    /// the common path (fresh messages that succeed) pays nothing. With `max = 1` the first
    /// failure is already rejected, and the log names its message id.
    pub(crate) fn needs_original(&self, redelivered: bool) -> bool {
        redelivered || self.max <= 1
    }

    /// Judges a delivery whose handler failed, to be requeued otherwise; `original` is there
    /// when [`needs_original`](Self::needs_original) said so.
    pub(crate) fn judge(&self, original: Option<&Original>) -> Verdict {
        let delivery = match original {
            Some(o) if o.redelivered => self.delivery_number(o),
            _ => 1,
        };
        if delivery >= self.max {
            if let Some(o) = original {
                lock(&self.failures).forget(key(o));
            }
            self.rejected.inc();
            tracing::error!(
                route = %self.route,
                queue = %self.queue,
                message_id = %original.map_or("-", message_id),
                deliveries = delivery,
                max_redeliveries = self.max,
                "message failed on every delivery: rejected (dead-lettered if the queue has a \
                 dead-letter target); set retries = N for delayed retries, or max_redeliveries"
            );
            return Verdict::Reject;
        }
        if self.release.is_cancelled() {
            return Verdict::Requeue;
        }
        self.held.inc();
        Verdict::Hold(HOLD.delay(delivery))
    }

    /// Which delivery of this redelivered message failed (2 = its first redelivery), counting
    /// it.
    fn delivery_number(&self, original: &Original) -> u32 {
        let counted = delivery_count(&original.properties);
        if counted > 0 {
            // A quorum queue counts for us.
            return counted.saturating_add(1);
        }
        lock(&self.failures).count(key(original))
    }

    /// The message was settled for good (acked, rejected, parked): no need to remember it.
    pub(crate) fn forget(&self, original: &Original) {
        // Only a redelivered message can have been counted.
        if original.redelivered {
            lock(&self.failures).forget(key(original));
        }
    }

    /// Requeues `settle` after `delay` on the worker's clock, or at once at shutdown.
    pub(crate) fn hold<F>(&self, delay: Duration, settle: F)
    where
        F: FnOnce(Action) -> crate::future::BoxFuture<'static, ()> + Send + 'static,
    {
        let clock = self.clock.clone();
        let release = self.release.clone();
        tokio::spawn(async move {
            let until = clock.now() + delay;
            tokio::select! {
                () = clock.sleep_until(until, Wait::Hold) => {}
                () = release.cancelled() => {}
            }
            settle(Action::Requeue).await;
        });
    }
}

/// The message id for logs: `message_id`, else `-`.
fn message_id(original: &Original) -> &str {
    original
        .properties
        .message_id()
        .as_ref()
        .map_or("-", |id| id.as_str())
}

/// What identifies a message across its redeliveries on a classic queue.
fn key(original: &Original) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match original.properties.message_id() {
        Some(id) => ("id", id.as_str()).hash(&mut h),
        None => {
            // The same bytes through the same exchange and key, with the same properties.
            original.data.hash(&mut h);
            original.exchange.as_str().hash(&mut h);
            original.routing_key.as_str().hash(&mut h);
            format!("{:?}", original.properties).hash(&mut h);
        }
    }
    h.finish()
}

/// Failures counted per message key, oldest forgotten first once `MEMORY` are kept.
#[derive(Default)]
struct Failures {
    counts: HashMap<u64, u32>,
    /// Keys in the order they were first counted; may hold keys forgotten since.
    order: VecDeque<u64>,
}

impl Failures {
    /// Counts one more failed redelivery of `key`; returns which delivery failed. A message
    /// met for the first time redelivered was delivered before (its first delivery failed,
    /// uncounted, or a connection died under it): this is at least its second.
    fn count(&mut self, key: u64) -> u32 {
        let n = self.counts.entry(key).or_insert(1);
        *n += 1;
        let n = *n;
        if n == 2 {
            self.order.push_back(key);
        }
        while self.counts.len() > MEMORY || self.order.len() > 2 * MEMORY {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if old != key {
                self.counts.remove(&old);
            }
        }
        n
    }

    fn forget(&mut self, key: u64) {
        self.counts.remove(&key);
    }
}

use crate::sync::lock;

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use lapin::BasicProperties;
    use lapin::types::{AMQPValue, FieldTable};

    use super::*;

    fn original(body: &str, id: Option<&str>, redelivered: bool) -> Original {
        let mut properties = BasicProperties::default();
        if let Some(id) = id {
            properties = properties.with_message_id(id.into());
        }
        Original {
            data: Bytes::from(body.to_owned()),
            properties,
            exchange: "".into(),
            routing_key: "jobs".into(),
            redelivered,
        }
    }

    fn guard(max: u16) -> PoisonGuard {
        PoisonGuard::new(
            "route".into(),
            "jobs".into(),
            max,
            Clock::Real,
            &Metrics::new(),
        )
    }

    #[test]
    fn a_message_failing_on_every_delivery_is_held_longer_then_rejected() {
        let g = guard(4);
        let first = g.judge(Some(&original("x", None, false)));
        let Verdict::Hold(d1) = first else {
            panic!("{first:?}")
        };
        assert!(d1 <= Duration::from_millis(100));
        let Verdict::Hold(d2) = g.judge(Some(&original("x", None, true))) else {
            panic!()
        };
        assert!(d2 >= Duration::from_millis(100) && d2 <= Duration::from_millis(200));
        assert!(matches!(
            g.judge(Some(&original("x", None, true))),
            Verdict::Hold(_)
        ));
        assert_eq!(g.judge(Some(&original("x", None, true))), Verdict::Reject);
        // Forgotten once rejected: the same bytes published again start over.
        assert!(matches!(
            g.judge(Some(&original("x", None, false))),
            Verdict::Hold(_)
        ));
    }

    #[test]
    fn other_messages_and_settled_ones_are_counted_apart() {
        let g = guard(3);
        let judge = |body, id, redelivered| g.judge(Some(&original(body, Some(id), redelivered)));
        assert!(matches!(judge("a", "1", false), Verdict::Hold(_)));
        // Same body, another id: another message, at its second delivery.
        assert!(matches!(judge("a", "2", true), Verdict::Hold(_)));
        // Acked after its redelivery: forgotten, so its next failure is a second one again.
        g.forget(&original("a", Some("2"), true));
        assert!(matches!(judge("a", "2", true), Verdict::Hold(_)));
        assert!(matches!(judge("a", "1", true), Verdict::Hold(_)));
        assert_eq!(judge("a", "1", true), Verdict::Reject);
    }

    #[test]
    fn only_redeliveries_need_a_copy() {
        assert!(!guard(20).needs_original(false));
        assert!(guard(20).needs_original(true));
        assert!(guard(1).needs_original(false));
    }

    #[test]
    fn a_quorum_queue_counts_deliveries_itself() {
        let g = guard(20);
        let mut h = FieldTable::default();
        h.insert("x-delivery-count".into(), AMQPValue::LongLongInt(19));
        let mut o = original("q", None, true);
        o.properties = o.properties.with_headers(h);
        assert_eq!(g.judge(Some(&o)), Verdict::Reject);
    }

    #[test]
    fn memory_is_bounded() {
        let mut f = Failures::default();
        for k in 0..(MEMORY as u64 + 10) {
            f.count(k);
        }
        assert_eq!(f.counts.len(), MEMORY);
        assert!(!f.counts.contains_key(&0));
    }

    #[test]
    fn nothing_is_held_once_stopping() {
        let g = guard(20);
        g.release_all();
        assert_eq!(g.judge(Some(&original("x", None, false))), Verdict::Requeue);
    }
}
