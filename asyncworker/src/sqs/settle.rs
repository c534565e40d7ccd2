//! How SQS messages are settled: the action of each (its mark, or the route's default), or,
//! for a failed call on a route with `retries`, a delay before the next attempt.
//!
//! - ack: `DeleteMessageBatch`;
//! - requeue: `ChangeMessageVisibilityBatch(0)`, visible again at once;
//! - reject: sent to the route's `dead_letter` queue (if it has one) and deleted;
//! - a retry: `ChangeMessageVisibilityBatch(delay)`, nothing republished: SQS's receive count
//!   is the attempt, and the queue's own redrive policy keeps counting.

use std::sync::Arc;

use super::fifo::Next;
use super::message::Envelope;
use super::queue::QueueCtx;
use crate::action::Action;
use crate::dispatch::Receipt;

/// One received message, as its queue settles it.
pub(crate) struct SqsReceipt {
    pub(crate) queue: Arc<QueueCtx>,
    pub(crate) envelope: Envelope,
}

/// What SQS is told about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Delete,
    /// Invisible for this many seconds (0: visible at once).
    Release(u32),
    /// To the dead-letter queue (or deleted, without one).
    Park,
}

impl Fate {
    fn of(action: Action) -> Fate {
        match action {
            Action::Ack => Fate::Delete,
            Action::Requeue => Fate::Release(0),
            Action::Reject => Fate::Park,
        }
    }
}

impl Receipt for SqsReceipt {
    async fn settle_all(batch: Vec<(Self, Action)>) {
        let decided = batch.into_iter().map(|(r, a)| (r, Fate::of(a))).collect();
        settle(decided, None).await;
    }

    /// Unmarked messages of a failed call: on a route with `retries`, a delay before the next
    /// attempt while attempts remain, then the dead-letter queue; without, `on_exception`.
    async fn settle_failed(batch: Vec<(Self, Action)>, error: Arc<str>) -> Vec<Action> {
        let mut actions = Vec::with_capacity(batch.len());
        let mut decided = Vec::with_capacity(batch.len());
        for (r, fallback) in batch {
            let (action, fate) = retry_or(&r, fallback, &error);
            actions.push(action);
            decided.push((r, fate));
        }
        settle(decided, Some(&error)).await;
        actions
    }
}

/// The fate of a failed message on its route: a retry after its delay, the dead-letter queue
/// after its last attempt, or `fallback` on a route without retries.
fn retry_or(r: &SqsReceipt, fallback: Action, error: &str) -> (Action, Fate) {
    let q = &r.queue;
    if q.options.retries == 0 {
        return (fallback, Fate::of(fallback));
    }
    let attempt = r.envelope.receive_count;
    match q.retry_seconds(attempt) {
        Some(seconds) => {
            tracing::warn!(
                route = %q.route, queue = %q.queue, message_id = %r.envelope.message_id,
                attempt, retry_in_s = seconds, error,
                "message failed; retried after its delay"
            );
            (Action::Requeue, Fate::Release(seconds))
        }
        None => {
            tracing::error!(
                route = %q.route, queue = %q.queue, message_id = %r.envelope.message_id,
                attempt, error,
                dead_letter = q.dead_letter.as_ref().map(|d| d.name.as_ref()),
                "message failed its last attempt: dead-lettered (deleted without a dead_letter queue)"
            );
            (Action::Reject, Fate::Park)
        }
    }
}

/// Messages of one queue with what SQS is told about each.
type Decided = Vec<(Envelope, Fate)>;

/// Carries out the fates, queue by queue and fate by fate in batches, then stops holding the
/// messages and moves their FIFO groups on.
async fn settle(decided: Vec<(SqsReceipt, Fate)>, error: Option<&str>) {
    let mut by_queue: Vec<(Arc<QueueCtx>, Decided)> = Vec::new();
    for (r, fate) in decided {
        match by_queue.iter_mut().find(|(q, _)| Arc::ptr_eq(q, &r.queue)) {
            Some((_, items)) => items.push((r.envelope, fate)),
            None => by_queue.push((r.queue, vec![(r.envelope, fate)])),
        }
    }
    // A bulk may mix queues (its route reads several): their calls go out together.
    let calls = by_queue
        .iter()
        .map(|(queue, items)| settle_queue(queue, items, error));
    futures_util::future::join_all(calls).await;
}

async fn settle_queue(queue: &QueueCtx, items: &[(Envelope, Fate)], error: Option<&str>) {
    let with = |want: Fate| -> Vec<Envelope> {
        items
            .iter()
            .filter(|(_, f)| *f == want)
            .map(|(e, _)| e.clone())
            .collect()
    };
    // One batch call per distinct fate (a retry tier is a fate of its own).
    let mut fates: Vec<Fate> = Vec::new();
    for (_, f) in items {
        if !fates.contains(f) {
            fates.push(*f);
        }
    }
    for fate in fates {
        let messages = with(fate);
        match fate {
            Fate::Delete => queue.delete(&messages).await,
            Fate::Park => queue.park(&messages, error).await,
            Fate::Release(seconds) => {
                queue.change_visibility(&messages, seconds).await;
            }
        }
    }
    let all: Vec<Envelope> = items.iter().map(|(e, _)| e.clone()).collect();
    queue.held.release(&all);
    if let Some(gate) = &queue.groups {
        for (envelope, fate) in items {
            let Some(group) = &envelope.group_id else {
                continue;
            };
            match gate.settled(group, !matches!(fate, Fate::Release(_))) {
                Next::Idle => {}
                Next::Forward(next) => gate.forward(next),
                Next::GiveBack(rest) => {
                    queue.change_visibility(&rest, 0).await;
                    queue.held.release(&rest);
                }
            }
        }
    }
}
