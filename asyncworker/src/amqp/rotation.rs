//! Which URL of a connection's list the next attempt goes to.
//!
//! Workers given the same cluster list must not all land on its first node, and a worker that
//! lost its node must not knock on it first: each list starts at a random index and every
//! attempt moves past the URL it used.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A cursor over the `len` URLs of one connection manager.
#[derive(Debug)]
pub(crate) struct Rotation {
    len: usize,
    next: AtomicUsize,
}

impl Rotation {
    /// Starts at a random index: std's `RandomState` is seeded per process and changes with
    /// every instance, so two managers (or two processes) rarely start at the same URL.
    pub(crate) fn random(len: usize) -> Rotation {
        let seed = std::collections::hash_map::RandomState::new().hash_one(len);
        // `len` is at least 1 (a connection has a URL); the modulo keeps the index in range.
        Rotation::starting_at(len, (seed % len.max(1) as u64) as usize)
    }

    /// Starts at `start` (for tests).
    pub(crate) fn starting_at(len: usize, start: usize) -> Rotation {
        Rotation {
            len: len.max(1),
            next: AtomicUsize::new(start % len.max(1)),
        }
    }

    /// The index of the URL to try now. The cursor moves past it whatever becomes of the
    /// attempt: refused, the next call tries the following URL; connected and later lost,
    /// the reconnection starts at the following URL too, not at the node that just failed.
    pub(crate) fn take(&self) -> usize {
        let len = self.len;
        let previous = self
            .next
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |i| Some((i + 1) % len))
            .unwrap_or_else(|i| i);
        previous % len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attempt_moves_past_the_url_it_used() {
        let r = Rotation::starting_at(3, 1);
        // Connected to 1; lost: the next attempts go to 2, then (refused) 0, then 1 again.
        let order: Vec<usize> = (0..5).map(|_| r.take()).collect();
        assert_eq!(order, [1, 2, 0, 1, 2]);
    }

    #[test]
    fn a_single_url_is_always_tried() {
        let r = Rotation::random(1);
        assert!((0..4).all(|_| r.take() == 0));
    }

    #[test]
    fn managers_start_at_different_urls() {
        // 60 managers over 3 URLs all starting at the same index: odds of 3^-59.
        let starts: std::collections::HashSet<usize> =
            (0..60).map(|_| Rotation::random(3).take()).collect();
        assert!(starts.len() >= 2, "every manager started at {starts:?}");
        assert!(starts.iter().all(|&i| i < 3));
    }
}
