//! [`TestWorker::settled`]: wait until every message is settled, moving the framework's clock
//! over the deadlines that alone hold things up.
//!
//! Nothing here guesses from time: the broker counts what is ready and unacked, the
//! dispatchers count what sits in their buckets and which calls run. When every unacked
//! message sits in a bucket and no call runs, only a `bulk_flush` deadline can move it: the
//! clock jumps there. When nothing is left but messages waiting out a retry delay, the clock
//! jumps to the first one's end. Only a running call with a `timeout` is judged by time: when
//! nothing moved for the builder's `timeout_patience`, the clock jumps to its timeout.

use std::time::Duration;

use super::worker::TestWorker;
use crate::clock::Wait;

/// How often the counts are read.
const POLL: Duration = Duration::from_millis(1);

/// The counts `settled()` decides on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Counts {
    /// Messages ready in queues routes consume.
    ready: usize,
    /// Messages delivered and not settled (AMQP) plus events sent and not settled (SSE).
    taken: i64,
    /// Items in the dispatchers' buckets.
    buffered: i64,
    /// Handler calls running.
    running: i64,
    /// A message waits out a retry delay.
    delayed: bool,
    /// Anything that happened in the broker.
    generation: u64,
}

impl TestWorker {
    /// Waits until every message published so far (and every SSE event sent) is settled,
    /// including its retries: `bulk_flush`, retry delays and handler timeouts are skipped by
    /// moving the worker's clock, so a retry delay of one hour costs nothing.
    ///
    /// # Panics
    /// If it is not settled within the builder's `settle_limit` (30 s of real time), with
    /// what is left: a handler that never returns, or a message requeued forever.
    pub async fn settled(&self) {
        let limit = std::time::Instant::now() + self.parts.settle_limit;
        let mut last = self.counts();
        let mut still_since = tokio::time::Instant::now();
        loop {
            let now = self.counts();
            if now != last {
                last = now;
                still_since = tokio::time::Instant::now();
            }
            if now.ready == 0 && now.taken == 0 && now.buffered == 0 && now.running == 0 {
                if !now.delayed {
                    return;
                }
                self.skip_to_expiry();
            } else if now.running == 0 && now.buffered > 0 && now.taken == now.buffered {
                self.skip_to(Wait::Flush);
            } else if now.running == 0 && now.buffered == 0 && now.ready == 0 && now.taken > 0 {
                // Unsettled and in nobody's hands: held by the poison guard.
                self.skip_to(Wait::Hold);
            } else if now.running > 0 && still_since.elapsed() >= self.parts.patience {
                self.skip_to(Wait::Timeout);
            }
            if std::time::Instant::now() >= limit {
                panic!(
                    "the test worker did not settle within {:?}: {now:?} (ready = in consumed \
                     queues, taken = delivered and not settled, buffered = in buckets, running = \
                     handler calls); a handler that never returns, or a message requeued forever?",
                    self.parts.settle_limit
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    #[cfg_attr(
        not(any(feature = "amqp", feature = "sse")),
        allow(unused_mut, reason = "only the backends' transports add to the counts")
    )]
    fn counts(&self) -> Counts {
        let clock = &self.parts.clock;
        let mut c = Counts {
            buffered: clock.buffered.get(),
            running: clock.running.get(),
            ..Counts::default()
        };
        #[cfg(feature = "amqp")]
        {
            let broker = &self.parts.transports.broker;
            let o = broker.outstanding();
            c.ready = o.ready;
            c.taken = o.unacked as i64;
            c.delayed = o.next_expiry.is_some();
            c.generation = broker.generation();
        }
        #[cfg(feature = "sse")]
        {
            c.taken += self.parts.transports.feeds.outstanding.get();
        }
        c
    }

    /// Moves the clock to the first pending deadline of `kind`, if any.
    fn skip_to(&self, kind: Wait) {
        let clock = &self.parts.clock;
        if let Some(at) = clock.next_deadline(&[kind]) {
            clock.advance_to(at);
        }
    }

    /// Moves the clock to the end of the first retry delay.
    fn skip_to_expiry(&self) {
        #[cfg(feature = "amqp")]
        if let Some(at) = self.parts.transports.broker.outstanding().next_expiry {
            self.parts.clock.advance_to(at);
        }
    }
}
