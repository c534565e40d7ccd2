//! The in-memory broker: exchanges, queues with their arguments, consumers with a prefetch and
//! delivery tags, acks (single and multiple), rejects, requeues, message TTLs and
//! dead-lettering, as RabbitMQ does them for one node. It records what the tests look at: the
//! fate of every delivery and what `app.amqp()` published.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use super::dead_letter::{self, Overflow, Reason};
use super::record::{Fate, FateKind, Recorded};
use super::routing::{Binding, ExchangeKind};
use crate::amqp::mismatch::Mismatch;
use crate::amqp::publisher::error::PublishError;
use crate::amqp::retry::Routed;
use crate::clock::Wait;
use crate::clock::virtual_clock::VirtualClock;

/// One delivery to a consumer.
pub(crate) struct Delivery {
    pub(crate) tag: u64,
    pub(crate) message: Recorded,
}

/// What is not settled yet, for `settled()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outstanding {
    /// Messages ready in queues that routes consume.
    pub(crate) ready: usize,
    /// Messages delivered and not settled.
    pub(crate) unacked: usize,
    /// When the next message waiting out a delay in a dead-lettering queue expires.
    pub(crate) next_expiry: Option<Instant>,
}

/// The broker; shared by the consumers, the publishers and the test.
pub(crate) struct MemoryBroker {
    state: Mutex<State>,
    clock: Arc<VirtualClock>,
    /// Bumped on every change, so the harness can tell progress from stillness.
    generation: AtomicU64,
    /// Wakes the expiry task when a message with a time to live arrives, and when the broker
    /// is dropped.
    expiries: Arc<Notify>,
}

impl Drop for MemoryBroker {
    fn drop(&mut self) {
        self.expiries.notify_one();
    }
}

#[derive(Default)]
struct State {
    exchanges: HashMap<String, Exchange>,
    queues: HashMap<String, Queue>,
    channels: HashMap<u64, Channel>,
    next_channel: u64,
    /// Receivers registered before the consumers run, by (route, queue).
    waiting: HashMap<(String, String), (u64, mpsc::UnboundedReceiver<Delivery>)>,
    published: Vec<Recorded>,
    fates: HashMap<String, Vec<Fate>>,
}

struct Exchange {
    kind: ExchangeKind,
    bindings: Vec<Binding>,
}

#[derive(Default)]
struct Queue {
    arguments: FieldTable,
    /// A route consumes it: its messages count as outstanding even before a consumer runs.
    consumed: bool,
    ready: VecDeque<Stored>,
    consumers: Vec<u64>,
    turn: usize,
}

#[derive(Clone)]
pub(super) struct Stored {
    pub(super) message: Recorded,
    pub(super) expires: Option<Instant>,
    /// How often it went back to a quorum queue: its deliveries carry it as
    /// `x-delivery-count` (RabbitMQ 3.x counts every return; the copies it dead-letters do
    /// not carry it).
    pub(super) returns: u32,
}

impl Stored {
    /// The message as a consumer gets it.
    fn delivered(&self) -> Recorded {
        let mut message = self.message.clone();
        if self.returns > 0 {
            let mut headers = message.properties.headers().clone().unwrap_or_default();
            let count = AMQPValue::LongLongInt(i64::from(self.returns));
            headers.insert(DELIVERY_COUNT.into(), count);
            message.properties = message.properties.with_headers(headers);
        }
        message
    }
}

/// The header in which quorum queues count a message's returns.
const DELIVERY_COUNT: &str = "x-delivery-count";

/// Whether a queue declared with `arguments` is a quorum queue.
fn is_quorum(arguments: &FieldTable) -> bool {
    match arguments.inner().get("x-queue-type") {
        Some(AMQPValue::LongString(t)) => t.as_bytes() == b"quorum",
        Some(AMQPValue::ShortString(t)) => t.as_str() == "quorum",
        _ => false,
    }
}

struct Channel {
    queue: String,
    prefetch: usize,
    next_tag: u64,
    unacked: BTreeMap<u64, Stored>,
    /// Where the retry path sent a failed delivery, told before its ack.
    routed: HashMap<u64, Routed>,
    tx: mpsc::UnboundedSender<Delivery>,
}

impl MemoryBroker {
    /// A broker on `clock`, with its expiry task (which ends with the broker).
    pub(crate) fn start(clock: Arc<VirtualClock>) -> Arc<MemoryBroker> {
        let broker = Arc::new(MemoryBroker {
            state: Mutex::new(State::default()),
            clock,
            generation: AtomicU64::new(0),
            expiries: Arc::new(Notify::new()),
        });
        // RabbitMQ has these on every vhost: workers publish to them without declaring them.
        for (name, kind) in [
            ("amq.direct", ExchangeKind::Direct),
            ("amq.fanout", ExchangeKind::Fanout),
            ("amq.topic", ExchangeKind::Topic),
            ("amq.headers", ExchangeKind::Headers),
            ("amq.match", ExchangeKind::Headers),
        ] {
            let fresh = broker.declare_exchange(name, kind);
            debug_assert!(fresh.is_ok(), "{name}: {fresh:?}");
        }
        let wake = Arc::clone(&broker.expiries);
        tokio::spawn(expire_forever(Arc::downgrade(&broker), wake));
        broker
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.generation.fetch_add(1, Ordering::AcqRel);
        crate::sync::lock(&self.state)
    }

    /// A number that changes whenever anything happens in the broker.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Declares an exchange; one that exists with another type is an error, as on RabbitMQ.
    pub(crate) fn declare_exchange(&self, name: &str, kind: ExchangeKind) -> Result<(), String> {
        let mut s = self.state();
        match s.exchanges.get(name) {
            Some(e) if e.kind != kind => Err(Mismatch {
                kind: "exchange".into(),
                name: name.to_owned(),
                argument: "type".into(),
                ours: Some(kind.as_str().into()),
                theirs: Some(e.kind.as_str().into()),
            }
            .to_string()),
            Some(_) => Ok(()),
            None => {
                let bindings = Vec::new();
                s.exchanges
                    .insert(name.to_owned(), Exchange { kind, bindings });
                Ok(())
            }
        }
    }

    /// Declares a queue. With `strict`, one that exists with other arguments is an error
    /// (RabbitMQ's 406 PRECONDITION_FAILED); without, an existing queue is taken as it is
    /// (a route that does not declare its queues).
    pub(crate) fn declare_queue(
        &self,
        name: &str,
        arguments: &FieldTable,
        strict: bool,
    ) -> Result<(), String> {
        let mut s = self.state();
        match s.queues.get(name) {
            Some(q) if strict && q.arguments != *arguments => {
                Err(
                    Mismatch::between("queue", name, arguments, &q.arguments).map_or_else(
                        || format!("queue `{name}` exists with other arguments"),
                        |m| m.to_string(),
                    ),
                )
            }
            Some(_) => Ok(()),
            None => {
                let queue = Queue {
                    arguments: arguments.clone(),
                    ..Queue::default()
                };
                s.queues.insert(name.to_owned(), queue);
                Ok(())
            }
        }
    }

    /// Binds `queue` to `exchange` with `key` and `arguments` (headers exchanges).
    pub(crate) fn bind(
        &self,
        queue: &str,
        exchange: &str,
        key: &str,
        arguments: &FieldTable,
    ) -> Result<(), String> {
        let mut s = self.state();
        if !s.queues.contains_key(queue) {
            return Err(format!("no queue `{queue}` to bind"));
        }
        let Some(e) = s.exchanges.get_mut(exchange) else {
            return Err(format!("no exchange `{exchange}` to bind `{queue}` to"));
        };
        // Binding again is a no-op, as on RabbitMQ.
        let same = |b: &Binding| b.queue == queue && b.key == key && b.arguments == *arguments;
        if !e.bindings.iter().any(same) {
            e.bindings.push(Binding {
                queue: queue.to_owned(),
                key: key.to_owned(),
                arguments: arguments.clone(),
            });
        }
        Ok(())
    }

    /// Routes a message; `record` keeps a copy for `published()`. Returns how many queues
    /// took it. An unknown exchange is refused (404 on RabbitMQ); a `mandatory` message that
    /// no queue takes is returned.
    pub(crate) fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        properties: BasicProperties,
        body: bytes::Bytes,
        mandatory: bool,
        record: bool,
    ) -> Result<usize, PublishError> {
        let message = Recorded {
            exchange: exchange.to_owned(),
            routing_key: routing_key.to_owned(),
            body,
            properties,
            redelivered: false,
        };
        let now = self.clock.now();
        let mut s = self.state();
        if record {
            s.published.push(message.clone());
        }
        let queues = s.route(&message).map_err(|reason| PublishError::Refused {
            exchange: exchange.to_owned(),
            reason,
        })?;
        if queues.is_empty() && mandatory {
            return Err(PublishError::Unroutable {
                exchange: exchange.to_owned(),
                routing_key: routing_key.to_owned(),
                reply: "312 NO_ROUTE (in memory)".to_owned(),
            });
        }
        let n = queues.len();
        let expiring = s.enqueue(&queues, &message, now);
        drop(s);
        if expiring {
            self.expiries.notify_one();
        }
        Ok(n)
    }

    /// Registers a consumer of `queue` for (`route`, `queue`); the route's source takes its
    /// deliveries with [`MemoryBroker::take_consumer`] when it runs. Messages published
    /// meanwhile wait in its channel.
    pub(crate) fn consume(&self, route: &str, queue: &str, prefetch: u16) -> Result<(), String> {
        let mut s = self.state();
        let id = s.next_channel;
        s.next_channel += 1;
        let Some(q) = s.queues.get_mut(queue) else {
            return Err(format!("no queue `{queue}` to consume"));
        };
        q.consumed = true;
        q.consumers.push(id);
        let (tx, rx) = mpsc::unbounded_channel();
        let channel = Channel {
            queue: queue.to_owned(),
            prefetch: usize::from(prefetch),
            next_tag: 0,
            unacked: BTreeMap::new(),
            routed: HashMap::new(),
            tx,
        };
        s.channels.insert(id, channel);
        s.waiting
            .insert((route.to_owned(), queue.to_owned()), (id, rx));
        s.pump(queue, self.clock.now());
        Ok(())
    }

    /// The channel and deliveries registered for (`route`, `queue`).
    pub(crate) fn take_consumer(
        &self,
        route: &str,
        queue: &str,
    ) -> Option<(u64, mpsc::UnboundedReceiver<Delivery>)> {
        self.state()
            .waiting
            .remove(&(route.to_owned(), queue.to_owned()))
    }

    /// Acks `tag` (and every earlier one with `multiple`) on `channel`; `Ok(false)` when the
    /// channel is closed, as lapin reports it.
    pub(crate) fn ack(&self, channel: u64, tag: u64, multiple: bool) -> Result<bool, String> {
        let mut s = self.state();
        let Some(ch) = s.channels.get_mut(&channel) else {
            return Ok(false);
        };
        let tags: Vec<u64> = if multiple {
            ch.unacked.range(..=tag).map(|(t, _)| *t).collect()
        } else {
            vec![tag]
        };
        let mut settled = Vec::with_capacity(tags.len());
        for t in tags {
            let Some(stored) = ch.unacked.remove(&t) else {
                return Err(format!(
                    "unknown delivery tag {t} (406 PRECONDITION_FAILED)"
                ));
            };
            let kind = match ch.routed.remove(&t) {
                Some(Routed::Retried { attempt }) => FateKind::Retried { attempt },
                Some(Routed::DeadLettered { queue }) => FateKind::DeadLettered { queue },
                None => FateKind::Acked,
            };
            settled.push(Fate {
                kind,
                message: stored.delivered(),
            });
        }
        let queue = ch.queue.clone();
        s.fates.entry(queue.clone()).or_default().extend(settled);
        s.pump(&queue, self.clock.now());
        Ok(true)
    }

    /// Rejects `tag` on `channel`: back to the queue (`requeue`), else dropped or
    /// dead-lettered by the queue's `x-dead-letter-exchange`.
    pub(crate) fn reject(&self, channel: u64, tag: u64, requeue: bool) -> Result<bool, String> {
        let now = self.clock.now();
        let mut s = self.state();
        let Some(ch) = s.channels.get_mut(&channel) else {
            return Ok(false);
        };
        let Some(stored) = ch.unacked.remove(&tag) else {
            return Err(format!(
                "unknown delivery tag {tag} (406 PRECONDITION_FAILED)"
            ));
        };
        ch.routed.remove(&tag);
        let queue = ch.queue.clone();
        let kind = if requeue {
            FateKind::Requeued
        } else {
            FateKind::Rejected
        };
        let fate = Fate {
            kind,
            message: stored.delivered(),
        };
        s.fates.entry(queue.clone()).or_default().push(fate);
        let expiring = if requeue {
            s.requeue(&queue, vec![stored]);
            false
        } else {
            s.dead_letter(&queue, stored, Reason::Rejected, now)
        };
        s.pump(&queue, now);
        drop(s);
        if expiring {
            self.expiries.notify_one();
        }
        Ok(true)
    }

    /// Tells where the retry path sent the failed delivery `tag` before it acks it.
    pub(crate) fn routed(&self, channel: u64, tag: u64, routed: Routed) {
        if let Some(ch) = self.state().channels.get_mut(&channel) {
            ch.routed.insert(tag, routed);
        }
    }

    /// Stops deliveries to `channel`; what it holds unacked stays so until it is closed.
    pub(crate) fn cancel(&self, channel: u64) {
        let mut s = self.state();
        let Some(queue) = s.channels.get(&channel).map(|c| c.queue.clone()) else {
            return;
        };
        if let Some(q) = s.queues.get_mut(&queue) {
            q.consumers.retain(|c| *c != channel);
        }
    }

    /// Closes `channel`: its unacked messages go back to their queue, redelivered.
    pub(crate) fn close(&self, channel: u64) {
        let mut s = self.state();
        let Some(ch) = s.channels.remove(&channel) else {
            return;
        };
        if let Some(q) = s.queues.get_mut(&ch.queue) {
            q.consumers.retain(|c| *c != channel);
        }
        s.requeue(&ch.queue, ch.unacked.into_values().collect());
        s.pump(&ch.queue, self.clock.now());
    }

    /// Every delivery from `queue` settled so far and what became of it, in order.
    pub(crate) fn fates(&self, queue: &str) -> Vec<Fate> {
        let s = crate::sync::lock(&self.state);
        s.fates.get(queue).cloned().unwrap_or_default()
    }

    /// What `app.amqp()` published to `exchange` with `routing_key`, in order.
    pub(crate) fn published(&self, exchange: &str, routing_key: &str) -> Vec<Recorded> {
        let s = crate::sync::lock(&self.state);
        let wanted = |m: &&Recorded| m.exchange == exchange && m.routing_key == routing_key;
        s.published.iter().filter(wanted).cloned().collect()
    }

    /// The messages ready in `queue`, in order; `None` if there is no such queue.
    pub(crate) fn ready(&self, queue: &str) -> Option<Vec<Recorded>> {
        let s = crate::sync::lock(&self.state);
        let q = s.queues.get(queue)?;
        Some(q.ready.iter().map(|m| m.message.clone()).collect())
    }

    /// Whether `queue` exists, and the names of every queue (for error messages).
    pub(crate) fn queue_names(&self) -> Vec<String> {
        let s = crate::sync::lock(&self.state);
        let mut names: Vec<String> = s.queues.keys().cloned().collect();
        names.sort();
        names
    }

    /// Whether exchange `name` exists (the default exchange always does).
    pub(crate) fn has_exchange(&self, name: &str) -> bool {
        let s = crate::sync::lock(&self.state);
        name.is_empty() || s.exchanges.contains_key(name)
    }

    /// What is not settled yet.
    pub(crate) fn outstanding(&self) -> Outstanding {
        let s = crate::sync::lock(&self.state);
        let consumed = s.queues.values().filter(|q| q.consumed);
        Outstanding {
            ready: consumed.map(|q| q.ready.len()).sum(),
            unacked: s.channels.values().map(|c| c.unacked.len()).sum(),
            next_expiry: s.next_dead_letter_expiry(),
        }
    }

    /// Dead-letters (or drops) every ready message whose time to live has passed.
    fn expire_due(&self) {
        let now = self.clock.now();
        let mut s = self.state();
        let mut due: Vec<(String, Stored)> = Vec::new();
        for (name, q) in &mut s.queues {
            let (gone, kept) = std::mem::take(&mut q.ready)
                .into_iter()
                .partition(|m| m.expires.is_some_and(|at| at <= now));
            q.ready = kept;
            due.extend(gone.into_iter().map(|m: Stored| (name.clone(), m)));
        }
        for (queue, stored) in due {
            s.dead_letter(&queue, stored, Reason::Expired, now);
        }
    }
}

impl State {
    /// The queues `message` goes to, each once.
    fn route(&self, message: &Recorded) -> Result<Vec<String>, String> {
        if message.exchange.is_empty() {
            let q = &message.routing_key;
            return Ok(self
                .queues
                .contains_key(q)
                .then(|| q.clone())
                .into_iter()
                .collect());
        }
        let Some(e) = self.exchanges.get(&message.exchange) else {
            return Err(format!(
                "404 NOT_FOUND - no exchange '{}' (in memory)",
                message.exchange
            ));
        };
        let headers = message.properties.headers().as_ref();
        let mut queues: Vec<String> = Vec::new();
        for b in &e.bindings {
            if e.kind.matches(b, &message.routing_key, headers) && !queues.contains(&b.queue) {
                queues.push(b.queue.clone());
            }
        }
        Ok(queues)
    }

    /// Puts a copy of `message` in each queue, with its time to live, within the queue's
    /// `x-max-length` (what overflows is dead-lettered or dropped as `x-overflow` says); says
    /// whether any copy expires.
    fn enqueue(&mut self, queues: &[String], message: &Recorded, now: Instant) -> bool {
        let mut expiring = false;
        let mut overflowed: Vec<(String, Stored)> = Vec::new();
        for name in queues {
            let Some(q) = self.queues.get_mut(name) else {
                continue;
            };
            let expires =
                dead_letter::time_to_live(&q.arguments, &message.properties).map(|ttl| now + ttl);
            let stored = Stored {
                message: message.clone(),
                expires,
                returns: 0,
            };
            match dead_letter::max_length(&q.arguments) {
                Some((max, overflow)) if q.ready.len() >= max => match overflow {
                    Overflow::RejectPublish => continue,
                    Overflow::RejectPublishDlx => {
                        overflowed.push((name.clone(), stored));
                        continue;
                    }
                    Overflow::DropHead => {
                        q.ready.push_back(stored);
                        while q.ready.len() > max {
                            if let Some(head) = q.ready.pop_front() {
                                overflowed.push((name.clone(), head));
                            }
                        }
                    }
                },
                _ => q.ready.push_back(stored),
            }
            expiring |= expires.is_some();
            self.pump(name, now);
        }
        for (queue, stored) in overflowed {
            expiring |= self.dead_letter(&queue, stored, Reason::MaxLen, now);
        }
        expiring
    }

    /// Puts messages back at the front of `queue`, in their order, marked redelivered (and
    /// counted, in a quorum queue).
    fn requeue(&mut self, queue: &str, messages: Vec<Stored>) {
        let Some(q) = self.queues.get_mut(queue) else {
            return;
        };
        let quorum = is_quorum(&q.arguments);
        for mut m in messages.into_iter().rev() {
            m.message.redelivered = true;
            m.returns += u32::from(quorum);
            q.ready.push_front(m);
        }
    }

    /// A message rejected or expired in `queue`: routed to the queue's dead-letter exchange
    /// with an `x-death` entry, or dropped without one. Says whether the copy expires.
    fn dead_letter(&mut self, queue: &str, stored: Stored, reason: Reason, now: Instant) -> bool {
        let Some(q) = self.queues.get(queue) else {
            return false;
        };
        let Some(copy) = dead_letter::copy(&q.arguments, queue, stored.message, reason) else {
            return false;
        };
        match self.route(&copy) {
            Ok(queues) => self.enqueue(&queues, &copy, now),
            // RabbitMQ drops what its dead-letter exchange cannot take.
            Err(_) => false,
        }
    }

    /// Delivers ready messages of `queue` to its consumers, in turn, within their prefetch.
    fn pump(&mut self, queue: &str, now: Instant) {
        let State {
            queues, channels, ..
        } = self;
        let Some(q) = queues.get_mut(queue) else {
            return;
        };
        while !q.ready.is_empty() && !q.consumers.is_empty() {
            let n = q.consumers.len();
            let room = (0..n).map(|i| (q.turn + i) % n).find(|&i| {
                channels
                    .get(&q.consumers[i])
                    .is_some_and(|c| c.prefetch == 0 || c.unacked.len() < c.prefetch)
            });
            let Some(i) = room else { break };
            q.turn = (i + 1) % n;
            // Expired at the head: left for the expiry task, which dead-letters it.
            if q.ready
                .front()
                .is_some_and(|m| m.expires.is_some_and(|at| at <= now))
            {
                break;
            }
            let Some(stored) = q.ready.pop_front() else {
                break;
            };
            let Some(ch) = channels.get_mut(&q.consumers[i]) else {
                break;
            };
            ch.next_tag += 1;
            let delivery = Delivery {
                tag: ch.next_tag,
                message: stored.delivered(),
            };
            ch.unacked.insert(ch.next_tag, stored);
            // A consumer whose receiver is gone keeps the message unacked until its channel
            // is closed, which requeues it.
            let _ = ch.tx.send(delivery);
        }
    }

    /// When the next message expires in a queue that dead-letters: a retry delay, whose end
    /// brings the message back (an expiry that only drops a message is not waited for).
    fn next_dead_letter_expiry(&self) -> Option<Instant> {
        self.queues
            .values()
            .filter(|q| q.arguments.contains_key("x-dead-letter-exchange"))
            .flat_map(|q| q.ready.iter().filter_map(|m| m.expires))
            .min()
    }

    fn next_expiry(&self) -> Option<Instant> {
        self.queues
            .values()
            .flat_map(|q| q.ready.iter().filter_map(|m| m.expires))
            .min()
    }
}

/// Expires messages as the clock passes their time to live, until the broker is dropped.
async fn expire_forever(broker: Weak<MemoryBroker>, wake: Arc<Notify>) {
    loop {
        // Registered before looking: a message that arrives meanwhile leaves a permit.
        let woken = wake.notified();
        let (next, clock) = {
            let Some(b) = broker.upgrade() else { return };
            b.expire_due();
            let next = b
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .next_expiry();
            (next, crate::clock::Clock::Virtual(Arc::clone(&b.clock)))
        };
        match next {
            Some(at) => {
                tokio::select! {
                    () = clock.sleep_until(at, Wait::Expiry) => {}
                    () = woken => {}
                }
            }
            None => woken.await,
        }
    }
}

/// The harness puts the broker on the application handle, where the AMQP backend and
/// `app.amqp()` find it.
impl crate::app::Resource for MemoryBroker {
    fn close(&self) -> crate::future::BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A broker with `queue` (declared with `arguments`) consumed on one channel.
    fn consumed(
        queue: &str,
        arguments: FieldTable,
    ) -> (Arc<MemoryBroker>, u64, mpsc::UnboundedReceiver<Delivery>) {
        let broker = MemoryBroker::start(Arc::new(VirtualClock::default()));
        broker.declare_queue(queue, &arguments, true).unwrap();
        broker.consume("r", queue, 10).unwrap();
        let (channel, rx) = broker.take_consumer("r", queue).unwrap();
        let properties = BasicProperties::default();
        let body = bytes::Bytes::from_static(b"1");
        broker
            .publish("", queue, properties, body, false, false)
            .unwrap();
        (broker, channel, rx)
    }

    fn count(d: &Delivery) -> Option<&AMQPValue> {
        d.message.header(DELIVERY_COUNT)
    }

    #[tokio::test]
    async fn quorum_queues_count_returns_in_x_delivery_count_and_classic_ones_do_not() {
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        let (broker, channel, mut rx) = consumed("q", args);
        let first = rx.recv().await.unwrap();
        assert_eq!(count(&first), None);
        broker.reject(channel, first.tag, true).unwrap();
        let second = rx.recv().await.unwrap();
        assert_eq!(count(&second), Some(&AMQPValue::LongLongInt(1)));
        broker.reject(channel, second.tag, true).unwrap();
        let third = rx.recv().await.unwrap();
        assert_eq!(count(&third), Some(&AMQPValue::LongLongInt(2)));
        assert!(third.message.redelivered);

        let (broker, channel, mut rx) = consumed("c", FieldTable::default());
        let first = rx.recv().await.unwrap();
        broker.reject(channel, first.tag, true).unwrap();
        let again = rx.recv().await.unwrap();
        assert!(again.message.redelivered);
        assert_eq!(count(&again), None);
    }

    /// A broker with `queue` (declared with `x-max-length = 2` and `overflow`, dead-lettering
    /// to `parking`) and no consumer; publishes 1, 2, 3.
    fn full(overflow: &str) -> Arc<MemoryBroker> {
        let broker = MemoryBroker::start(Arc::new(VirtualClock::default()));
        broker
            .declare_queue("parking", &FieldTable::default(), true)
            .unwrap();
        let mut args = FieldTable::default();
        args.insert("x-max-length".into(), AMQPValue::LongLongInt(2));
        args.insert("x-overflow".into(), AMQPValue::LongString(overflow.into()));
        let dlx = AMQPValue::LongString("".into());
        args.insert("x-dead-letter-exchange".into(), dlx);
        let key = AMQPValue::LongString("parking".into());
        args.insert("x-dead-letter-routing-key".into(), key);
        broker.declare_queue("q", &args, true).unwrap();
        for body in [b"1", b"2", b"3"] {
            let body = bytes::Bytes::copy_from_slice(body);
            let properties = BasicProperties::default();
            broker
                .publish("", "q", properties, body, false, false)
                .unwrap();
        }
        broker
    }

    fn bodies(broker: &MemoryBroker, queue: &str) -> Vec<String> {
        let ready = broker.ready(queue).unwrap();
        ready
            .iter()
            .map(|m| String::from_utf8_lossy(&m.body).into_owned())
            .collect()
    }

    #[tokio::test]
    async fn a_full_queue_overflows_as_x_overflow_says() {
        let b = full("drop-head");
        assert_eq!(bodies(&b, "q"), ["2", "3"]);
        assert_eq!(bodies(&b, "parking"), ["1"]);
        let b = full("reject-publish");
        assert_eq!(bodies(&b, "q"), ["1", "2"]);
        assert!(bodies(&b, "parking").is_empty());
        let b = full("reject-publish-dlx");
        assert_eq!(bodies(&b, "q"), ["1", "2"]);
        assert_eq!(bodies(&b, "parking"), ["3"]);
    }
}
