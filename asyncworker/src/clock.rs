//! The framework's own time: when a bucket flushes, when a handler call times out, when an
//! in-memory message expires.
//!
//! In a worker it is tokio's clock and costs nothing more. The testing harness runs it
//! *virtual*: real time plus an offset that it moves forward, so `settled()` skips `bulk_flush`,
//! retry delays and timeouts without waiting, while the handlers' own sleeps stay real. The
//! virtual clock also counts what the dispatcher holds (items in buckets, calls running) so the
//! harness can tell "nothing can move until a deadline passes" from "something is on its way".

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::future::BoxFuture;

/// What a framework deadline is for: the harness skips them with different patience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(
    not(feature = "testing"),
    allow(dead_code, reason = "only the harness's clock tells the kinds apart")
)]
pub(crate) enum Wait {
    /// A bucket's `bulk_flush` deadline.
    Flush,
    /// A handler call's `timeout`.
    Timeout,
    /// A message's time to live in an in-memory queue (a retry delay).
    Expiry,
    /// A failed delivery held by the poison guard before it is requeued.
    Hold,
}

/// The clock of one worker.
#[derive(Clone, Default)]
pub(crate) enum Clock {
    /// tokio's clock.
    #[default]
    Real,
    /// The harness's clock (feature `testing`).
    #[cfg(feature = "testing")]
    Virtual(std::sync::Arc<virtual_clock::VirtualClock>),
}

impl Clock {
    /// Whether this is the test harness's clock: a worker without brokers, whose schedules
    /// run only when a test asks.
    pub(crate) fn is_virtual(&self) -> bool {
        match self {
            Clock::Real => false,
            #[cfg(feature = "testing")]
            Clock::Virtual(_) => true,
        }
    }

    /// Now, on this clock.
    pub(crate) fn now(&self) -> Instant {
        match self {
            Clock::Real => Instant::now(),
            #[cfg(feature = "testing")]
            Clock::Virtual(v) => v.now(),
        }
    }

    /// Completes once this clock reaches `deadline`.
    pub(crate) fn sleep_until(&self, deadline: Instant, why: Wait) -> BoxFuture<'static, ()> {
        match self {
            Clock::Real => {
                let _ = why;
                Box::pin(tokio::time::sleep_until(deadline))
            }
            #[cfg(feature = "testing")]
            Clock::Virtual(v) => Box::pin(virtual_clock::sleep_until(v.clone(), deadline, why)),
        }
    }

    /// `fut`, or `None` once `limit` has passed on this clock.
    pub(crate) async fn timeout<F: Future>(&self, limit: Duration, fut: F) -> Option<F::Output> {
        match self {
            Clock::Real => tokio::time::timeout(limit, fut).await.ok(),
            #[cfg(feature = "testing")]
            Clock::Virtual(_) => {
                let expired = self.sleep_until(self.now() + limit, Wait::Timeout);
                tokio::select! {
                    out = fut => Some(out),
                    () = expired => None,
                }
            }
        }
    }

    /// `delta` items entered (positive) or left (negative) a dispatcher's bucket.
    #[inline]
    pub(crate) fn note_buffered(&self, delta: isize) {
        #[cfg(feature = "testing")]
        if let Clock::Virtual(v) = self {
            v.buffered.add(delta);
        }
        let _ = delta;
    }

    /// A handler call started (+1) or ended, its items settled (-1).
    #[inline]
    pub(crate) fn note_running(&self, delta: isize) {
        #[cfg(feature = "testing")]
        if let Clock::Virtual(v) = self {
            v.running.add(delta);
        }
        let _ = delta;
    }
}

#[cfg(feature = "testing")]
pub(crate) mod virtual_clock {
    //! The harness's clock: real time plus an offset, its pending deadlines, and what the
    //! dispatchers hold.

    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tokio::sync::watch;
    use tokio::time::Instant;

    use super::Wait;

    /// A gauge the dispatchers move and the harness reads.
    #[derive(Default)]
    pub(crate) struct Gauge(AtomicI64);

    impl Gauge {
        pub(crate) fn add(&self, delta: isize) {
            self.0.fetch_add(delta as i64, Ordering::AcqRel);
        }

        pub(crate) fn get(&self) -> i64 {
            self.0.load(Ordering::Acquire)
        }
    }

    /// Real time plus an offset that only grows.
    pub(crate) struct VirtualClock {
        offset: Mutex<Duration>,
        /// Bumped whenever the offset moves, to wake the sleepers.
        moved: watch::Sender<u64>,
        /// The deadlines someone is sleeping until, by (deadline, ticket).
        pending: Mutex<BTreeMap<(Instant, u64), Wait>>,
        tickets: AtomicU64,
        /// Items in the dispatchers' buckets.
        pub(crate) buffered: Gauge,
        /// Handler calls running (until their items are handed to settlement).
        pub(crate) running: Gauge,
    }

    impl Default for VirtualClock {
        fn default() -> Self {
            VirtualClock {
                offset: Mutex::new(Duration::ZERO),
                moved: watch::Sender::new(0),
                pending: Mutex::new(BTreeMap::new()),
                tickets: AtomicU64::new(0),
                buffered: Gauge::default(),
                running: Gauge::default(),
            }
        }
    }

    impl VirtualClock {
        pub(crate) fn now(&self) -> Instant {
            Instant::now() + *lock(&self.offset)
        }

        /// The earliest deadline someone sleeps until among `kinds`.
        pub(crate) fn next_deadline(&self, kinds: &[Wait]) -> Option<Instant> {
            lock(&self.pending)
                .iter()
                .find(|(_, w)| kinds.contains(w))
                .map(|((at, _), _)| *at)
        }

        /// Moves this clock forward to `target` (never back) and wakes the sleepers.
        pub(crate) fn advance_to(&self, target: Instant) {
            {
                let mut offset = lock(&self.offset);
                let now = Instant::now() + *offset;
                if target <= now {
                    return;
                }
                *offset += target - now;
            }
            self.moved.send_modify(|n| *n += 1);
        }

        /// How far this clock is ahead of tokio's.
        pub(crate) fn offset(&self) -> Duration {
            *lock(&self.offset)
        }
    }

    /// Removes a sleeper's deadline when it completes or is dropped.
    struct Registered {
        clock: Arc<VirtualClock>,
        key: (Instant, u64),
    }

    impl Drop for Registered {
        fn drop(&mut self) {
            lock(&self.clock.pending).remove(&self.key);
        }
    }

    /// Completes when real time passes `deadline` or the clock is moved past it.
    pub(crate) async fn sleep_until(clock: Arc<VirtualClock>, deadline: Instant, why: Wait) {
        let mut moved = clock.moved.subscribe();
        let ticket = clock.tickets.fetch_add(1, Ordering::Relaxed);
        lock(&clock.pending).insert((deadline, ticket), why);
        let _registered = Registered {
            clock: Arc::clone(&clock),
            key: (deadline, ticket),
        };
        loop {
            let now = clock.now();
            if now >= deadline {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(deadline - now) => {}
                _ = moved.changed() => {}
            }
        }
    }

    use crate::sync::lock;

    #[cfg(test)]
    mod tests {
        use super::*;

        #[tokio::test]
        async fn moving_the_clock_wakes_a_sleeper_long_before_its_real_deadline() {
            let clock = Arc::new(VirtualClock::default());
            let deadline = clock.now() + Duration::from_secs(3600);
            let sleeper = tokio::spawn(sleep_until(Arc::clone(&clock), deadline, Wait::Expiry));
            // The deadline is known to the clock while someone sleeps until it.
            let registered = async {
                while clock.next_deadline(&[Wait::Expiry]).is_none() {
                    tokio::task::yield_now().await;
                }
            };
            tokio::time::timeout(Duration::from_secs(5), registered)
                .await
                .unwrap();
            assert_eq!(clock.next_deadline(&[Wait::Flush]), None);
            clock.advance_to(deadline);
            tokio::time::timeout(Duration::from_secs(5), sleeper)
                .await
                .expect("woken at once")
                .unwrap();
            assert!(clock.offset() >= Duration::from_secs(3599));
            assert_eq!(clock.next_deadline(&[Wait::Expiry]), None, "forgotten");
        }
    }
}
