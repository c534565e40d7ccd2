//! The backend-agnostic bucket: collects items until a bulk is full, its oldest item has
//! waited long enough, or the worker shuts down; and the options that shape it.

use std::time::Duration;

use tokio::time::Instant;

use crate::settings::RouteOverride;

/// How a consumer route forms bulks and calls its handler: the options AMQP and SSE routes
/// share, as resolved from the attribute and the deployment's overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BulkOptions {
    pub(crate) bulk_size: u16,
    pub(crate) bulk_flush_ms: u64,
    pub(crate) concurrency: u16,
    pub(crate) timeout_ms: Option<u64>,
}

impl BulkOptions {
    /// These options with the route's deployment overrides applied (`_BULK_SIZE`,
    /// `_BULK_FLUSH`, `_CONCURRENCY`); the one place they are.
    pub(crate) fn with_override(mut self, over: &RouteOverride) -> BulkOptions {
        if let Some(n) = over.bulk_size {
            self.bulk_size = n;
        }
        if let Some(d) = over.bulk_flush {
            self.bulk_flush_ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1);
        }
        if let Some(n) = over.concurrency {
            self.concurrency = n;
        }
        self
    }
}

/// Why a bulk was handed to its handler; recorded in the handler's span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlushReason {
    /// The bucket reached `bulk_size`.
    Size,
    /// The oldest item waited `bulk_flush`.
    Deadline,
    /// The worker is shutting down.
    Shutdown,
}

impl FlushReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            FlushReason::Size => "size",
            FlushReason::Deadline => "deadline",
            FlushReason::Shutdown => "shutdown",
        }
    }
}

pub(crate) struct Bucket<T> {
    items: Vec<T>,
    capacity: usize,
    flush_after: Duration,
    oldest: Option<Instant>,
}

impl<T> Bucket<T> {
    pub(crate) fn new(capacity: usize, flush_after: Duration) -> Self {
        let capacity = capacity.max(1);
        Bucket {
            items: Vec::with_capacity(capacity),
            capacity,
            flush_after,
            oldest: None,
        }
    }

    /// Adds an item; returns true when the bucket is now full.
    pub(crate) fn push(&mut self, item: T, now: Instant) -> bool {
        if self.items.is_empty() {
            self.oldest = Some(now);
        }
        self.items.push(item);
        self.items.len() >= self.capacity
    }

    /// When the bucket must be flushed even if not full; `None` while empty.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.oldest.map(|t| t + self.flush_after)
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Takes everything out; the bucket is empty afterwards (never hands out an empty bulk).
    pub(crate) fn take(&mut self) -> Option<Vec<T>> {
        if self.items.is_empty() {
            return None;
        }
        self.oldest = None;
        Some(std::mem::replace(
            &mut self.items,
            Vec::with_capacity(self.capacity),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_at_capacity() {
        let now = Instant::now();
        let mut b = Bucket::new(3, Duration::from_secs(1));
        assert!(!b.push(1, now));
        assert!(!b.push(2, now));
        assert!(b.push(3, now));
        assert_eq!(b.take(), Some(vec![1, 2, 3]));
        assert!(b.is_empty());
        assert_eq!(b.take(), None);
    }

    #[test]
    fn deadline_counts_from_the_oldest_item() {
        let t0 = Instant::now();
        let mut b = Bucket::new(10, Duration::from_millis(500));
        assert_eq!(b.deadline(), None);
        b.push("a", t0);
        b.push("b", t0 + Duration::from_millis(400));
        assert_eq!(b.deadline(), Some(t0 + Duration::from_millis(500)));
        b.take();
        assert_eq!(b.deadline(), None);
        b.push("c", t0 + Duration::from_millis(900));
        assert_eq!(b.deadline(), Some(t0 + Duration::from_millis(1400)));
    }
}
