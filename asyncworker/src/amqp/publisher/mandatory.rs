//! The channels of `mandatory` publishes, and how a returned message finds the publish that
//! sent it.
//!
//! The broker sends an unroutable mandatory message back (`basic.return`) before the ack that
//! covers it, but lapin hands each returned message to an arbitrary publish of that ack (a
//! `multiple` ack covers several, and lapin walks a `HashMap`), so a publish's own confirm
//! does not say whether its message came back. Publishes therefore go out in *waves*: a wave
//! is a run of publishes on one channel, sealed when its first confirm arrives (or when it is
//! full), and a channel carries one wave at a time. Once every confirm of a wave is in,
//! every message the broker returned for it has been handed to one of those confirms (each
//! return comes before its own ack; lapin hands out at most one per confirm, oldest first)
//! and none of another wave's: each publish then claims the returned message equal to its own
//! (exchange, routing key, properties and body), if there is one. Identical messages are
//! interchangeable, so which of them claims a return does not matter.
//!
//! A wave whose member failed or was dropped before its confirm (a lost channel, a timeout)
//! is *tainted*: one of its returns may have gone with that confirm, so a member that claims
//! none cannot tell, and publishes again. The tainted channel is not used again.

use std::sync::{Arc, Mutex};

use lapin::message::BasicReturnMessage;
use lapin::{BasicProperties, Channel};
use tokio::sync::{Notify, OnceCell, watch};

use super::slot::Slot;
use crate::sync::lock;

/// How many channels `mandatory` publishes of one publisher use (one wave on each at a time).
pub(super) const MANDATORY_CHANNELS: usize = 8;
/// The most publishes a wave takes before it is sealed.
const MAX_WAVE: usize = 1024;

/// Channels carrying waves of mandatory publishes.
pub(super) struct MandatoryPool {
    slots: Vec<Slot>,
    state: Mutex<PoolState>,
    /// Signalled when a wave completes and its channel is free for another.
    freed: Notify,
}

struct PoolState {
    /// The wave new publishes join, until it is sealed.
    open: Option<Arc<Wave>>,
    /// Which slots carry a wave (open or sealed).
    busy: Vec<bool>,
}

/// One wave: publishes on one channel whose returns are shared out once all are confirmed.
struct Wave {
    slot: usize,
    channel: OnceCell<Arc<Channel>>,
    state: Mutex<WaveState>,
    complete: watch::Sender<bool>,
}

#[derive(Default)]
struct WaveState {
    members: usize,
    settled: usize,
    sealed: bool,
    tainted: bool,
    /// Messages the broker returned, with whether a member claimed each.
    returned: Vec<(Box<BasicReturnMessage>, bool)>,
}

/// What became of one member's message, once its wave is complete.
pub(super) enum Outcome {
    /// The broker returned it: `"<code> <text>"`.
    Returned(String),
    /// It was not returned.
    Kept,
    /// Whether it was returned cannot be known (the wave is tainted): publish it again.
    Unknown,
}

/// How a member's publish ended.
pub(super) enum Settle {
    /// Its confirm arrived, carrying this returned message (possibly another member's).
    Confirmed(Option<Box<BasicReturnMessage>>),
    /// It never went out (its channel could not be opened).
    Unsent,
    /// It failed or was abandoned: its confirm, and a return it carried, are lost.
    Failed,
}

impl MandatoryPool {
    pub(super) fn new(size: usize) -> MandatoryPool {
        MandatoryPool {
            slots: (0..size).map(|_| Slot::default()).collect(),
            state: Mutex::new(PoolState {
                open: None,
                busy: vec![false; size],
            }),
            freed: Notify::new(),
        }
    }

    /// Every slot, for closing their channels.
    pub(super) fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Joins the open wave, or opens one on a free channel, waiting for one if none is.
    pub(super) async fn join(&self) -> Member<'_> {
        loop {
            let freed = self.freed.notified();
            if let Some(wave) = self.try_join() {
                return Member {
                    pool: self,
                    wave,
                    settled: false,
                };
            }
            freed.await;
        }
    }

    fn try_join(&self) -> Option<Arc<Wave>> {
        let mut state = lock(&self.state);
        if let Some(wave) = &state.open {
            let mut w = lock(&wave.state);
            if !w.sealed {
                w.members += 1;
                w.sealed = w.members >= MAX_WAVE;
                drop(w);
                return Some(Arc::clone(wave));
            }
        }
        let slot = state.busy.iter().position(|busy| !busy)?;
        state.busy[slot] = true;
        let wave = Arc::new(Wave {
            slot,
            channel: OnceCell::new(),
            state: Mutex::new(WaveState {
                members: 1,
                ..WaveState::default()
            }),
            complete: watch::Sender::new(false),
        });
        state.open = Some(Arc::clone(&wave));
        Some(wave)
    }

    /// A wave completed: its channel may carry the next.
    fn release(&self, wave: &Arc<Wave>) {
        let mut state = lock(&self.state);
        state.busy[wave.slot] = false;
        if state
            .open
            .as_ref()
            .is_some_and(|open| Arc::ptr_eq(open, wave))
        {
            state.open = None;
        }
        drop(state);
        self.freed.notify_waiters();
    }
}

/// A publish's place in a wave. Dropped before it settles, it taints the wave.
pub(super) struct Member<'a> {
    pool: &'a MandatoryPool,
    wave: Arc<Wave>,
    settled: bool,
}

impl Member<'_> {
    /// The slot of this member's wave.
    pub(super) fn slot(&self) -> &Slot {
        &self.pool.slots[self.wave.slot]
    }

    /// The wave's channel, opened by its first member (or the slot's, if still open).
    pub(super) async fn channel<E>(
        &self,
        open: impl Future<Output = Result<Channel, E>>,
    ) -> Result<Arc<Channel>, E> {
        let slot = self.slot();
        self.wave
            .channel
            .get_or_try_init(|| slot.get_or_open(open))
            .await
            .cloned()
    }

    /// Records how this member's publish ended; the first to settle seals the wave.
    pub(super) fn settle(&mut self, how: Settle) {
        if std::mem::replace(&mut self.settled, true) {
            return;
        }
        let mut w = lock(&self.wave.state);
        w.settled += 1;
        w.sealed = true;
        match how {
            Settle::Confirmed(Some(message)) => w.returned.push((message, false)),
            Settle::Confirmed(None) | Settle::Unsent => {}
            Settle::Failed => w.tainted = true,
        }
        let complete = w.settled == w.members;
        let tainted = w.tainted;
        drop(w);
        if complete {
            if tainted && let Some(channel) = self.wave.channel.get() {
                self.slot().forget(channel);
                close_in_background(Arc::clone(channel));
            }
            self.pool.release(&self.wave);
            self.wave.complete.send_replace(true);
        }
    }

    /// Waits until every member of the wave has settled, then claims this member's
    /// returned message, if the broker returned it.
    pub(super) async fn outcome(
        &self,
        exchange: &str,
        routing_key: &str,
        properties: &BasicProperties,
        body: &[u8],
    ) -> Outcome {
        let mut complete = self.wave.complete.subscribe();
        // The sender lives in the wave, which this member holds: the wait always ends.
        let _ = complete.wait_for(|done| *done).await;
        let mut w = lock(&self.wave.state);
        let tainted = w.tainted;
        let mine = w.returned.iter_mut().find(|(m, claimed)| {
            !claimed
                && m.delivery.exchange.as_str() == exchange
                && m.delivery.routing_key.as_str() == routing_key
                && m.delivery.data == body
                && m.delivery.properties == *properties
        });
        match mine {
            Some((message, claimed)) => {
                *claimed = true;
                Outcome::Returned(format!("{} {}", message.reply_code, message.reply_text))
            }
            None if tainted => Outcome::Unknown,
            None => Outcome::Kept,
        }
    }
}

/// Closes a tainted wave's channel: a confirm still pending on it must not meet a later wave.
fn close_in_background(channel: Arc<Channel>) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            if channel.status().connected() {
                let _ = channel
                    .close(200, "a mandatory publish was lost".into())
                    .await;
            }
        });
    }
}

impl Drop for Member<'_> {
    fn drop(&mut self) {
        // A member dropped before its confirm (a timeout, the caller's cancellation) may
        // take a return with it: the wave can no longer vouch for its other members.
        self.settle(Settle::Failed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use lapin::message::Delivery;

    fn returned(routing_key: &str, body: &[u8]) -> BasicReturnMessage {
        BasicReturnMessage {
            delivery: Delivery::mock(0, "".into(), routing_key.into(), false, body.to_vec()),
            reply_code: 312,
            reply_text: "NO_ROUTE".into(),
        }
    }

    async fn outcome(member: &Member<'_>, routing_key: &str, body: &[u8]) -> String {
        match member
            .outcome("", routing_key, &BasicProperties::default(), body)
            .await
        {
            Outcome::Returned(reply) => reply,
            Outcome::Kept => "kept".into(),
            Outcome::Unknown => "unknown".into(),
        }
    }

    #[tokio::test]
    async fn a_return_carried_by_another_members_confirm_reaches_its_own_publish() {
        let pool = MandatoryPool::new(2);
        let (mut a, mut b) = (pool.join().await, pool.join().await);
        assert!(Arc::ptr_eq(&a.wave, &b.wave), "both joined the open wave");
        // lapin pinned b's returned message on a's confirm.
        a.settle(Settle::Confirmed(Some(Box::new(returned("nowhere", b"b")))));
        let c = pool.join().await;
        assert!(
            !Arc::ptr_eq(&a.wave, &c.wave),
            "the first confirm sealed the wave"
        );
        assert_eq!(c.wave.slot, 1, "the next wave goes to the free channel");
        b.settle(Settle::Confirmed(None));
        assert_eq!(outcome(&a, "orders", b"a").await, "kept");
        assert_eq!(outcome(&b, "nowhere", b"b").await, "312 NO_ROUTE");
    }

    #[tokio::test]
    async fn a_member_waits_for_its_whole_wave() {
        let pool = MandatoryPool::new(1);
        let (mut a, b) = (pool.join().await, pool.join().await);
        a.settle(Settle::Confirmed(None));
        let waiting = outcome(&a, "orders", b"a");
        tokio::pin!(waiting);
        assert!(
            waiting.as_mut().now_or_never().is_none(),
            "b's confirm, which may carry a's return, is not in yet"
        );
        // The only channel is busy: the next publish waits for the wave to complete.
        let next = pool.join();
        tokio::pin!(next);
        assert!(next.as_mut().now_or_never().is_none());
        drop(b); // abandoned before its confirm
        assert_eq!(
            waiting.await,
            "unknown",
            "b may have taken a's return with it"
        );
        let next = next.await;
        assert_eq!(next.wave.slot, 0, "the channel is free again");
    }

    #[tokio::test]
    async fn in_a_tainted_wave_a_claimed_return_is_still_reported() {
        let pool = MandatoryPool::new(1);
        let (mut a, mut b, c) = (pool.join().await, pool.join().await, pool.join().await);
        a.settle(Settle::Confirmed(Some(Box::new(returned("nowhere", b"b")))));
        b.settle(Settle::Confirmed(None));
        drop(c);
        assert_eq!(outcome(&b, "nowhere", b"b").await, "312 NO_ROUTE");
        assert_eq!(outcome(&a, "orders", b"a").await, "unknown");
    }

    #[tokio::test]
    async fn identical_messages_share_the_returns_there_are() {
        let pool = MandatoryPool::new(1);
        let (mut a, mut b) = (pool.join().await, pool.join().await);
        a.settle(Settle::Confirmed(Some(Box::new(returned("nowhere", b"x")))));
        b.settle(Settle::Confirmed(None));
        let first = outcome(&a, "nowhere", b"x").await;
        let second = outcome(&b, "nowhere", b"x").await;
        assert_eq!((first.as_str(), second.as_str()), ("312 NO_ROUTE", "kept"));
    }

    #[tokio::test]
    async fn a_full_wave_is_sealed() {
        let pool = MandatoryPool::new(2);
        let members: Vec<_> =
            futures_util::future::join_all((0..MAX_WAVE).map(|_| pool.join())).await;
        let next = pool.join().await;
        assert_eq!(members[0].wave.slot, 0);
        assert_eq!(next.wave.slot, 1, "a wave takes at most MAX_WAVE publishes");
    }
}
