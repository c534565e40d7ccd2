//! The macro contract: what `#[route(amqp = ...)]` registers (`AmqpRouteDef`, `AmqpOptions`,
//! `QueueType`), and the backend-agnostic options it carries (`bulk()`, `actions()`).

use super::consumer::intake::AmqpFactory;
use crate::action::Action;
use crate::bulk::BulkOptions;
use crate::dispatch::Actions;

/// A registered AMQP route, as `#[route(amqp = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct AmqpRouteDef {
    /// The handler's name, used in logs, metrics and per-route overrides.
    pub name: &'static str,
    /// Where the handler is defined: for `--only` filters and messages.
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// The handler's doc comment, its `///` lines joined by `\n`: the summary and description
    /// of the route in the documents.
    pub doc: &'static str,
    /// The queues as the attribute lists them, before overrides and the prefix.
    pub queues: &'static [&'static str],
    pub options: AmqpOptions,
    /// The schema of the messages' body type, for the AsyncAPI document.
    pub message: fn() -> crate::docs::TypeSchema,
    /// Builds the handler behind the dispatcher's adapter.
    pub factory: fn() -> AmqpFactory,
}

inventory::collect!(AmqpRouteDef);
crate::registry::route_def!(AmqpRouteDef);

/// The options of an AMQP route; see the `#[route]` documentation.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct AmqpOptions {
    pub vhost: Option<&'static str>,
    pub connection: Option<&'static str>,
    pub bulk_size: u16,
    pub bulk_flush_ms: u64,
    pub prefetch: Option<u16>,
    pub concurrency: u16,
    pub on_success: Action,
    pub on_exception: Action,
    pub on_decode_error: Action,
    pub timeout_ms: Option<u64>,
    /// Delayed retries through `<queue>.retry` before the message is dead-lettered; 0 = none.
    pub retries: u16,
    /// TTL of the retry queue, in milliseconds (of its first tier when there are several).
    pub retry_delay_ms: u64,
    /// The TTL of each tier's retry queue, growing, when `retry_delay` lists more than one;
    /// empty: one retry queue, `retry_delay_ms`.
    pub retry_delays_ms: &'static [u64],
    /// The parking queue of messages that failed their last attempt.
    pub dead_letter: Option<&'static str>,
    /// Declare the queues (and retry/parking queues) at startup and after every reconnect.
    pub declare: bool,
    /// The `x-queue-type` of declared queues.
    pub queue_type: QueueType,
    /// Deliveries of an always-failing message before the poison guard rejects it, on routes
    /// without `retries`; `None`: the worker's `amqp_max_redeliveries`; 0: no guard.
    pub max_redeliveries: Option<u16>,
    /// Exchanges, bindings and main-queue arguments `declare = true` creates.
    pub topology: TopologyOptions,
}

/// What `declare = true` creates besides the queues: the exchanges the route's queues are bound
/// to, and the arguments of its main queues (not of the retry or parking queues). The macro
/// checks every value; empty/`None` means "not set".
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct TopologyOptions {
    /// (exchange, routing key) pairs from `bind = ["exchange:key", ...]`.
    pub bind: &'static [(&'static str, &'static str)],
    /// The type of the exchanges in `bind`: "direct", "topic", "fanout" or "headers".
    pub exchange_type: &'static str,
    /// The arguments of every binding to a headers exchange, `x-match` included.
    pub bind_headers: &'static [(&'static str, &'static str)],
    /// `x-max-length`.
    pub max_length: Option<u64>,
    /// `x-overflow`: "drop-head", "reject-publish" or "reject-publish-dlx".
    pub overflow: Option<&'static str>,
    /// `x-message-ttl`, in milliseconds.
    pub message_ttl_ms: Option<u64>,
    /// `x-delivery-limit` (quorum queues).
    pub delivery_limit: Option<u64>,
    /// `x-single-active-consumer`.
    pub single_active: bool,
}

impl TopologyOptions {
    /// Nothing besides the queues.
    pub const DEFAULT: TopologyOptions = TopologyOptions {
        bind: &[],
        exchange_type: "topic",
        bind_headers: &[],
        max_length: None,
        overflow: None,
        message_ttl_ms: None,
        delivery_limit: None,
        single_active: false,
    };
}

/// The type of a queue `declare = true` creates.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueType {
    /// A classic queue (RabbitMQ's default).
    Classic,
    /// A replicated quorum queue.
    Quorum,
}

impl QueueType {
    /// The `x-queue-type` argument value.
    pub const fn as_str(self) -> &'static str {
        match self {
            QueueType::Classic => "classic",
            QueueType::Quorum => "quorum",
        }
    }
}

impl AmqpOptions {
    /// The options of a route that sets none; the macro fills in what the attribute sets.
    pub const DEFAULT: AmqpOptions = AmqpOptions {
        vhost: None,
        connection: None,
        bulk_size: 1,
        bulk_flush_ms: 1000,
        prefetch: None,
        concurrency: 1,
        on_success: Action::Ack,
        on_exception: Action::Requeue,
        on_decode_error: Action::Reject,
        timeout_ms: None,
        retries: 0,
        retry_delay_ms: 10_000,
        retry_delays_ms: &[],
        dead_letter: None,
        declare: false,
        queue_type: QueueType::Classic,
        topology: TopologyOptions::DEFAULT,
        max_redeliveries: None,
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
}
