//! The channels of `mandatory` publishes: each carries one publish at a time, so that a
//! message the broker returns is reported to the publish that sent it.

use std::sync::Mutex;

use super::slot::Slot;

/// How many channels `mandatory` publishes of one publisher may use at once.
pub(super) const MANDATORY_CHANNELS: usize = 32;

/// Channels that each carry one publish at a time, opened as concurrency demands.
pub(super) struct MandatoryPool {
    slots: Vec<Slot>,
    /// Indexes of the idle slots, lowest on top: light traffic keeps reusing one channel.
    idle: Mutex<Vec<usize>>,
    permits: tokio::sync::Semaphore,
}

impl MandatoryPool {
    pub(super) fn new(size: usize) -> MandatoryPool {
        MandatoryPool {
            slots: (0..size).map(|_| Slot::default()).collect(),
            idle: Mutex::new((0..size).rev().collect()),
            permits: tokio::sync::Semaphore::new(size),
        }
    }

    /// Every slot, for closing their channels.
    pub(super) fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// An idle slot, waiting for one if all are busy; it is idle again when the lease drops.
    pub(super) async fn lease(&self) -> Lease<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .unwrap_or_else(|_| unreachable!("the semaphore is never closed"));
        let index = self
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_else(|| unreachable!("a permit guarantees an idle slot"));
        Lease {
            pool: self,
            index,
            _permit: permit,
        }
    }
}

pub(super) struct Lease<'a> {
    pool: &'a MandatoryPool,
    index: usize,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Lease<'_> {
    pub(super) fn slot(&self) -> &Slot {
        &self.pool.slots[self.index]
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        // Before the permit (a field, dropped after this) lets another publish in.
        let mut idle = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.push(self.index);
        idle.sort_unstable_by(|a, b| b.cmp(a));
    }
}
