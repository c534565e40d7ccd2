//! Settling deliveries on their channel, coalescing acks.
//!
//! Each consumer channel has one settler task that owns the order of its deliveries. A run of
//! consecutive acks at the front becomes one `basic.ack(multiple = true)`: safe because the
//! channel carries one consumer and every earlier delivery is already settled. Decisions
//! behind a still-undecided delivery (concurrent handler calls) are held briefly for the run
//! to form, then sent one by one, so a slow handler never starves the others.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;

use super::acker::Acker;
use super::poison::{PoisonGuard, Verdict};
use crate::action::Action;
use crate::amqp::retry::{Original, RetryPolicy};
use crate::dispatch::Receipt;

/// How long decisions behind an undecided delivery wait to join a multiple-ack run.
const HOLD_BEHIND_GAP: Duration = Duration::from_millis(50);

/// The handler's verdict on one delivery, numbered as the source numbered it.
struct Decision {
    seq: u64,
    epoch: u32,
    acker: Acker,
    action: Action,
}

/// The decisions of one bulk bound for one channel's settler.
type Group = (Arc<SettlerHandle>, Vec<Decision>);

/// The sending side of a channel's settler.
pub(crate) struct SettlerHandle {
    tx: mpsc::UnboundedSender<Vec<Decision>>,
}

/// Settles one delivery; dropping it unsettled leaves the message to the broker.
pub(crate) struct AmqpReceipt {
    pub(crate) settler: Arc<SettlerHandle>,
    pub(crate) seq: u64,
    pub(crate) epoch: u32,
    pub(crate) acker: Acker,
    /// On routes with retries or a dead-letter queue: their policy.
    pub(crate) retry: Option<Arc<RetryPolicy>>,
    /// On routes without: the poison guard (unless `max_redeliveries = 0`).
    pub(crate) guard: Option<Arc<PoisonGuard>>,
    /// What the policy or the guard needs of the delivery, when there is either.
    pub(crate) original: Option<Box<Original>>,
}

impl Receipt for AmqpReceipt {
    async fn settle_all(batch: Vec<(Self, Action)>) {
        // Usually a bulk comes from one channel: one message to its settler, and no list of
        // groups is allocated unless a second channel shows up.
        let n = batch.len();
        let mut first: Option<Group> = None;
        let mut others: Vec<Group> = Vec::new();
        for (r, action) in batch {
            if action != Action::Requeue
                && let (Some(guard), Some(original)) = (&r.guard, &r.original)
            {
                guard.forget(original);
            }
            let d = Decision {
                seq: r.seq,
                epoch: r.epoch,
                acker: r.acker,
                action,
            };
            match &mut first {
                Some((s, v)) if Arc::ptr_eq(s, &r.settler) => v.push(d),
                None => {
                    let mut v = Vec::with_capacity(n);
                    v.push(d);
                    first = Some((r.settler, v));
                }
                Some(_) => match others.iter_mut().find(|(s, _)| Arc::ptr_eq(s, &r.settler)) {
                    Some((_, v)) => v.push(d),
                    None => others.push((r.settler, vec![d])),
                },
            }
        }
        for (settler, decisions) in first.into_iter().chain(others) {
            // A closed settler means its channel is gone: the broker requeues those messages.
            let _ = settler.tx.send(decisions);
        }
    }

    async fn settle_failed(batch: Vec<(Self, Action)>, error: Arc<str>) -> Vec<Action> {
        // The republishes of one bulk are pipelined on the publisher channel.
        let decided = futures_util::future::join_all(batch.into_iter().map(|(r, fallback)| {
            let error = Arc::clone(&error);
            async move {
                let action = match (&r.retry, &r.original) {
                    (Some(policy), Some(original)) => {
                        let (action, routed) = policy.handle(original, &error, fallback).await;
                        if let Some(routed) = routed {
                            r.acker.routed(routed);
                        }
                        action
                    }
                    _ => fallback,
                };
                (r, action)
            }
        }))
        .await;
        let (actions, now) = hold_poison(decided);
        Self::settle_all(now).await;
        actions
    }
}

/// Puts the requeues of failed deliveries before the poison guard: it holds them, or rejects
/// them. Returns every delivery's final action, in order, and what is settled now.
fn hold_poison(decided: Vec<(AmqpReceipt, Action)>) -> (Vec<Action>, Vec<(AmqpReceipt, Action)>) {
    let mut actions = Vec::with_capacity(decided.len());
    let mut now = Vec::with_capacity(decided.len());
    for (r, action) in decided {
        let verdict = match (&r.guard, &r.original) {
            (Some(guard), original) if action == Action::Requeue => {
                guard.judge(original.as_deref())
            }
            _ => Verdict::Requeue,
        };
        let action = if verdict == Verdict::Reject {
            Action::Reject
        } else {
            action
        };
        actions.push(action);
        match verdict {
            Verdict::Requeue | Verdict::Reject => now.push((r, action)),
            Verdict::Hold(delay) => {
                let Some(guard) = r.guard.clone() else {
                    now.push((r, action));
                    continue;
                };
                // Unsettled meanwhile: it keeps its prefetch slot and nothing else waits.
                guard.hold(delay, move |action| {
                    Box::pin(AmqpReceipt::settle_all(vec![(r, action)]))
                });
            }
        }
    }
    (actions, now)
}

/// A delivery's place in the channel's order, from the front (the oldest unsettled one).
enum Slot {
    Undecided,
    Decided(Decision),
    Done,
}

/// Starts the settler of one channel; it ends when every handle and receipt is dropped.
/// `lost` counts the settlements it could not send (`asyncworker_settlements_lost_total`).
pub(crate) fn spawn_settler(
    route: Arc<str>,
    queue: Arc<str>,
    lost: Counter,
) -> (Arc<SettlerHandle>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let ctx = Ctx { route, queue, lost };
    let task = tokio::spawn(settler(ctx, rx));
    (Arc::new(SettlerHandle { tx }), task)
}

async fn settler(ctx: Ctx, mut rx: mpsc::UnboundedReceiver<Vec<Decision>>) {
    let mut front: u64 = 0;
    let mut slots: VecDeque<Slot> = VecDeque::new();
    // When the oldest decision still held behind an undecided delivery was held: the wait is
    // counted from it, so a steady stream of new decisions cannot hold it forever.
    let mut held_since: Option<tokio::time::Instant> = None;
    loop {
        let held = slots.iter().any(|s| matches!(s, Slot::Decided(_)));
        if !held {
            held_since = None;
        } else if held_since.is_none() {
            held_since = Some(tokio::time::Instant::now());
        }
        let received = match held_since {
            Some(since) => {
                match tokio::time::timeout_at(since + HOLD_BEHIND_GAP, rx.recv()).await {
                    Ok(r) => r,
                    Err(_) => {
                        settle_behind_gap(&ctx, &mut slots).await;
                        held_since = None;
                        continue;
                    }
                }
            }
            None => rx.recv().await,
        };
        let Some(first) = received else { break };
        place(&mut front, &mut slots, first);
        // Everything already queued joins this round: under load acks coalesce by themselves.
        while let Ok(more) = rx.try_recv() {
            place(&mut front, &mut slots, more);
        }
        settle_front(&ctx, &mut front, &mut slots).await;
    }
    // Closing: nothing more will be decided; send what is held.
    settle_behind_gap(&ctx, &mut slots).await;
}

/// What a settler's logs and its lost-settlement counter are labelled with.
struct Ctx {
    route: Arc<str>,
    queue: Arc<str>,
    lost: Counter,
}

/// Puts each decision in its delivery's slot; slots of deliveries not decided yet are made
/// `Undecided` on the way.
fn place(front: &mut u64, slots: &mut VecDeque<Slot>, decisions: Vec<Decision>) {
    for d in decisions {
        // Behind the front: that delivery is settled already.
        let Some(idx) = d.seq.checked_sub(*front) else {
            continue;
        };
        let idx = idx as usize;
        while slots.len() <= idx {
            slots.push_back(Slot::Undecided);
        }
        slots[idx] = Slot::Decided(d);
    }
}

/// Settles the decided run at the front, coalescing consecutive acks of one epoch into one
/// `multiple` ack, up to the first undecided delivery.
async fn settle_front(ctx: &Ctx, front: &mut u64, slots: &mut VecDeque<Slot>) {
    let mut run: Option<(Acker, u32, u64)> = None; // last acker, epoch, count
    while let Some(slot) = slots.front() {
        if matches!(slot, Slot::Undecided) {
            break;
        }
        let Some(slot) = slots.pop_front() else { break };
        *front += 1;
        match slot {
            Slot::Undecided => unreachable!(),
            Slot::Done => {
                flush_run(ctx, run.take()).await;
            }
            Slot::Decided(d) if d.action == Action::Ack => {
                // A recovered channel restarts its delivery tags: never span two epochs.
                run = match run.take() {
                    Some((_, epoch, n)) if epoch == d.epoch => Some((d.acker, epoch, n + 1)),
                    other => {
                        flush_run(ctx, other).await;
                        Some((d.acker, d.epoch, 1))
                    }
                };
            }
            Slot::Decided(d) => {
                flush_run(ctx, run.take()).await;
                send_one(ctx, &d.acker, d.action).await;
            }
        }
    }
    flush_run(ctx, run).await;
}

/// Sends the decisions held behind an undecided delivery one by one, leaving `Done` in their
/// slots so that the front later steps over them.
async fn settle_behind_gap(ctx: &Ctx, slots: &mut VecDeque<Slot>) {
    for slot in slots.iter_mut() {
        if matches!(slot, Slot::Decided(_))
            && let Slot::Decided(d) = std::mem::replace(slot, Slot::Done)
        {
            send_one(ctx, &d.acker, d.action).await;
        }
    }
}

/// Sends a run of `n` acks as one `basic.ack` of its last delivery (`multiple` when n > 1).
async fn flush_run(ctx: &Ctx, run: Option<(Acker, u32, u64)>) {
    let Some((acker, _, n)) = run else { return };
    let result = acker.ack(n > 1).await;
    record(ctx, result, Action::Ack, n);
}

/// Sends one delivery's settlement on its own.
async fn send_one(ctx: &Ctx, acker: &Acker, action: Action) {
    let result = match action {
        Action::Ack => acker.ack(false).await,
        Action::Reject => acker.reject(false).await,
        Action::Requeue => acker.reject(true).await,
    };
    record(ctx, result, action, 1);
}

/// Counts and logs a settlement of `n` messages that lapin could not send. Nothing else is
/// recorded: the dispatcher already counted the outcome when it decided it.
fn record(ctx: &Ctx, result: Result<bool, String>, action: Action, n: u64) {
    let reason = match result {
        Ok(true) => return,
        // lapin drops settlements for a channel that is closed or was replaced by recovery.
        Ok(false) => "the channel was closed or recovered before the settlement".to_owned(),
        Err(error) => format!("the settlement failed: {error}"),
    };
    ctx.lost.inc_by(n);
    tracing::warn!(
        route = %ctx.route,
        queue = %ctx.queue,
        %action,
        messages = n,
        %reason,
        "settlement not sent; the broker will redeliver these messages"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::metrics::{Metrics, QueueLabels};

    #[test]
    fn settlements_lapin_could_not_send_are_counted_as_lost() {
        let metrics = Metrics::new();
        let labels = QueueLabels {
            route: "drain".into(),
            queue: "orders".into(),
        };
        let ctx = Ctx {
            route: "drain".into(),
            queue: "orders".into(),
            lost: metrics.settlements_lost.get_or_create(&labels).clone(),
        };
        record(&ctx, Ok(true), Action::Ack, 5);
        record(&ctx, Ok(false), Action::Ack, 3);
        let closed = lapin::ErrorKind::InvalidChannelState(lapin::ChannelState::Closed, "ack");
        record(
            &ctx,
            Err(lapin::Error::from(closed).to_string()),
            Action::Requeue,
            1,
        );
        let text = metrics.encode();
        assert!(
            text.contains(r#"asyncworker_settlements_lost_total{route="drain",queue="orders"} 4"#),
            "{text}"
        );
    }
}
