//! Watching a consumer's channel: readiness follows it, and a channel lapin cannot bring back
//! is given up on.
//!
//! On a single URL lapin recovers a lost connection transparently: the consumer stream just
//! pauses. The channel's state is the only sign, so it is polled. (With a list of URLs lapin's
//! recovery is off: the connection errs at once and the attachment ends, see
//! `ConnectionManager::new`.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lapin::{Channel, Connection};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::amqp::connection::RECOVERY_LIMIT;

/// How often a consumer compares its readiness with its channel's state.
const READINESS_POLL: Duration = Duration::from_millis(100);

/// The watch over one attachment's channel.
pub(super) struct ChannelWatch<'a> {
    route: &'a str,
    queue: &'a str,
    /// The consumer's readiness, as `/health/ready` reports it.
    ready: &'a AtomicBool,
    conn: &'a Connection,
    channel: &'a Channel,
    poll: Interval,
    /// When the channel was first seen down, since it was last up.
    down_since: Option<Instant>,
}

impl<'a> ChannelWatch<'a> {
    pub(super) fn new(
        route: &'a str,
        queue: &'a str,
        ready: &'a AtomicBool,
        conn: &'a Connection,
        channel: &'a Channel,
    ) -> ChannelWatch<'a> {
        let mut poll = tokio::time::interval(READINESS_POLL);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ChannelWatch {
            route,
            queue,
            ready,
            conn,
            channel,
            poll,
            down_since: None,
        }
    }

    /// Follows the channel until it is down for good, then says why. Cancel-safe: the state
    /// lives in the watch, so it can be one branch of a `select!` that is dropped and made
    /// again on every turn.
    pub(super) async fn lost(&mut self) -> String {
        loop {
            self.poll.tick().await;
            if let Some(lost) = self.follow() {
                return lost;
            }
        }
    }

    /// Readiness follows the channel (logging each change); returns why to give up on a channel
    /// that is down for good.
    fn follow(&mut self) -> Option<String> {
        let up = self.channel.status().connected();
        if up {
            self.down_since = None;
        } else if let Some(lost) = self.unrecoverable() {
            return Some(lost);
        }
        if self.ready.swap(up, Ordering::AcqRel) != up {
            let (route, queue) = (self.route, self.queue);
            if up {
                tracing::info!(route = %route, queue = %queue, "channel recovered");
            } else {
                tracing::warn!(route = %route, queue = %queue, "channel down; lapin is recovering the connection");
            }
        }
        None
    }

    /// Whether a channel that is down should be given up on: its connection or the channel
    /// itself failed for good, or lapin has been recovering for longer than [`RECOVERY_LIMIT`].
    fn unrecoverable(&mut self) -> Option<String> {
        let since = *self.down_since.get_or_insert_with(Instant::now);
        let c = self.conn.status();
        let ch = self.channel.status();
        if c.closed() || c.errored() {
            Some("connection lost".to_owned())
        } else if !(ch.connected() || ch.reconnecting() || ch.initializing()) {
            Some("channel closed".to_owned())
        } else if since.elapsed() > RECOVERY_LIMIT {
            Some(format!(
                "lapin did not recover the connection within {RECOVERY_LIMIT:?}"
            ))
        } else {
            None
        }
    }
}
