//! The macro contract: what `#[route(sqs = ...)]` registers (`SqsRouteDef`, `SqsOptions`), and
//! the backend-agnostic options it carries (`bulk()`, `actions()`).

use super::intake::SqsFactory;
use crate::action::Action;
use crate::bulk::BulkOptions;
use crate::dispatch::Actions;

/// A registered SQS route, as `#[route(sqs = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct SqsRouteDef {
    /// The handler's name, used in logs, metrics and per-route overrides.
    pub name: &'static str,
    /// Where the handler is defined: for `--only` filters and messages.
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// The handler's doc comment, its `///` lines joined by `\n`.
    pub doc: &'static str,
    /// The queues as the attribute lists them: names (resolved with `GetQueueUrl`) or URLs.
    pub queues: &'static [&'static str],
    pub options: SqsOptions,
    /// The schema of the messages' body type, for the AsyncAPI document.
    pub message: fn() -> crate::docs::TypeSchema,
    /// Builds the handler behind the dispatcher's adapter.
    pub factory: fn() -> SqsFactory,
}

inventory::collect!(SqsRouteDef);
crate::registry::route_def!(SqsRouteDef);

/// The options of an SQS route; see the README's "SQS routes".
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct SqsOptions {
    pub bulk_size: u16,
    pub bulk_flush_ms: u64,
    pub concurrency: u16,
    pub timeout_ms: Option<u64>,
    pub on_success: Action,
    pub on_exception: Action,
    pub on_decode_error: Action,
    /// Delayed retries (the message stays invisible for the delay) before it is
    /// dead-lettered or dropped; 0 = none.
    pub retries: u16,
    /// The delay of a retry, in milliseconds (of its first tier when there are several).
    pub retry_delay_ms: u64,
    /// One delay per retry tier, growing, when `retry_delay` lists more than one.
    pub retry_delays_ms: &'static [u64],
    /// The queue (name or URL) that rejected messages, and messages past their last retry, are
    /// sent to before they are deleted.
    pub dead_letter: Option<&'static str>,
    /// The long-poll wait of each `ReceiveMessage`, 0 to 20 s.
    pub wait_time_s: u8,
    /// The visibility timeout asked for each received message; extended while the message is
    /// held.
    pub visibility_timeout_s: u32,
}

impl SqsOptions {
    /// The options of a route that sets none; the macro fills in what the attribute sets.
    pub const DEFAULT: SqsOptions = SqsOptions {
        bulk_size: 1,
        bulk_flush_ms: 1000,
        concurrency: 1,
        timeout_ms: None,
        on_success: Action::Ack,
        on_exception: Action::Requeue,
        on_decode_error: Action::Reject,
        retries: 0,
        retry_delay_ms: 10_000,
        retry_delays_ms: &[],
        dead_letter: None,
        wait_time_s: 20,
        visibility_timeout_s: 30,
    };

    /// The options that shape bulks, as the attribute set them.
    pub(crate) fn bulk(&self) -> BulkOptions {
        BulkOptions {
            bulk_size: self.bulk_size,
            bulk_flush_ms: self.bulk_flush_ms,
            concurrency: self.concurrency,
            timeout_ms: self.timeout_ms,
        }
    }

    /// The fate of unmarked and undecodable messages.
    pub(crate) fn actions(&self) -> Actions {
        Actions {
            on_success: self.on_success,
            on_exception: self.on_exception,
            on_decode_error: self.on_decode_error,
        }
    }

    /// The delay before attempt `attempt + 1`, after attempt `attempt` (1-based) failed, or
    /// `None` when it was the last one. Tiers past the last repeat the last.
    pub(crate) fn retry_delay_after(&self, attempt: u32) -> Option<std::time::Duration> {
        if attempt > u32::from(self.retries) {
            return None;
        }
        let ms = match self.retry_delays_ms {
            [] => self.retry_delay_ms,
            tiers => {
                let i = usize::try_from(attempt.saturating_sub(1)).unwrap_or(usize::MAX);
                tiers[i.min(tiers.len() - 1)]
            }
        };
        Some(std::time::Duration::from_millis(ms))
    }
}
