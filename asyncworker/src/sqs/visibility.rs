//! The messages a queue's worker holds (received, not settled yet) and the keeper that extends
//! their visibility before it runs out, so that a long handler, a full bucket or a FIFO group
//! waiting its turn never lets SQS hand the message to someone else meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::message::Envelope;
use super::queue::QueueCtx;
use crate::sync::lock;

/// SQS refuses to keep a message invisible for more than 12 hours after its first receive.
const MAX_INVISIBLE: Duration = Duration::from_secs(12 * 3600);

/// One held message: until when SQS keeps it invisible, and since when it is held.
struct Entry {
    envelope: Envelope,
    invisible_until: Instant,
    received: Instant,
}

/// The messages held on one queue, by receipt handle.
#[derive(Default)]
pub(crate) struct Held {
    entries: Mutex<HashMap<Arc<str>, Entry>>,
}

impl Held {
    /// Starts holding `envelope`, just received and invisible until `until`.
    pub(crate) fn hold(&self, envelope: &Envelope, until: Instant) {
        let entry = Entry {
            envelope: envelope.clone(),
            invisible_until: until,
            received: Instant::now(),
        };
        lock(&self.entries).insert(Arc::clone(&envelope.receipt_handle), entry);
    }

    /// Stops holding these messages: they are settled.
    pub(crate) fn release(&self, messages: &[Envelope]) {
        let mut entries = lock(&self.entries);
        for m in messages {
            entries.remove(&m.receipt_handle);
        }
    }

    /// The held messages whose visibility ends within `margin`, and that may still be
    /// extended (SQS's 12-hour limit).
    fn expiring(&self, margin: Duration, visibility: Duration) -> Vec<Envelope> {
        let now = Instant::now();
        lock(&self.entries)
            .values()
            .filter(|e| e.invisible_until <= now + margin)
            .filter(|e| now + visibility < e.received + MAX_INVISIBLE)
            .map(|e| e.envelope.clone())
            .collect()
    }

    /// Records that `messages` stay invisible until `until`.
    fn extended(&self, messages: &[Envelope], until: Instant) {
        let mut entries = lock(&self.entries);
        for m in messages {
            if let Some(e) = entries.get_mut(&m.receipt_handle) {
                e.invisible_until = until;
            }
        }
    }

    /// Whether no message is held.
    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.entries).is_empty()
    }

    /// Takes every held message out (the worker gives them back).
    pub(crate) fn take_all(&self) -> Vec<Envelope> {
        lock(&self.entries)
            .drain()
            .map(|(_, e)| e.envelope)
            .collect()
    }
}

/// Extends the visibility of `queue`'s held messages until `stop`: each check, the ones whose
/// visibility ends within half the visibility timeout get a whole one again.
pub(crate) async fn keep(queue: Arc<QueueCtx>, stop: CancellationToken) {
    let visibility = Duration::from_secs(u64::from(queue.options.visibility_timeout_s));
    let period = (visibility / 4).clamp(Duration::from_millis(250), Duration::from_secs(10));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let expiring = queue.held.expiring(visibility / 2, visibility);
        if expiring.is_empty() {
            continue;
        }
        let asked = Instant::now();
        if queue
            .change_visibility(&expiring, queue.options.visibility_timeout_s)
            .await
        {
            queue.held.extended(&expiring, asked + visibility);
        } else {
            // Some were not extended: record the ones that were is not worth a second call;
            // all are tried again at the next check.
            tracing::debug!(route = %queue.route, queue = %queue.queue, "visibility extension incomplete; retrying");
        }
    }
}
