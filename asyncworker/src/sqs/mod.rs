//! The Amazon SQS backend: `#[route(sqs = [...])]` consumers and `app.sqs()` sending, on the
//! official `aws-sdk-sqs` (feature `sqs`).
//!
//! Per route: one dispatcher (the same as AMQP's, see `dispatch/`) fed by the pollers of each
//! of its queues. A received message is *held* from then on: the keeper extends its
//! visibility until it is settled, and at shutdown what is still held is given back at once.
//!
//! - `def`: what the macro registers; `resolve`: how its options resolve; `backend`: how the
//!   routes are prepared and run; `asyncapi`: their part of `--asyncapi`; `check` (`--check`) and `drained` (`--drain`) read the
//!   queues' counts through `attributes`.
//! - `client`: the one SDK client and the queue URLs it resolved.
//! - `source` (the pollers) → `fifo` (the order of message groups) → the dispatcher →
//!   `settle` (actions and retries as SQS calls) → `queue` (the batch calls of one queue);
//!   `visibility` holds and extends.
//! - `message`, `handler`, `error_handler`, `intake`: what the user's functions receive and
//!   which functions fit.
//! - `publish`: `app.sqs()`.

mod asyncapi;
mod attributes;
mod backend;
mod check;
mod client;
mod def;
mod drained;
mod error_handler;
mod fifo;
pub(crate) mod handler;
mod intake;
mod message;
mod publish;
mod queue;
mod resolve;
mod settle;
mod source;
mod visibility;

pub(crate) use backend::prepare;
pub use error_handler::SqsErrorHandler;
pub use handler::{SqsHandler, SqsMessagesArg};
pub use message::SqsMessage;
pub use publish::{Sqs, SqsSendError};

/// The message attribute naming the route whose handler gave a dead-lettered message up.
pub const ROUTE_ATTRIBUTE: &str = "asyncworker-route";
/// The message attribute naming the queue a dead-lettered message was received from.
pub const QUEUE_ATTRIBUTE: &str = "asyncworker-queue";
/// The message attribute carrying the error of a dead-lettered message's last attempt.
pub const ERROR_ATTRIBUTE: &str = "asyncworker-error";

/// What the code `#[route(sqs = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::def::{SqsOptions, SqsRouteDef};
    pub use super::handler::assert_sqs_messages;
    pub use super::intake::{SqsFactory, SqsTyped, sqs_factory, sqs_factory_with, sqs_typed};
}
