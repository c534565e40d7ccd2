//! Handler typing: extractors, results and the per-backend handler traits.
//!
//! Handlers are plain functions; these traits, implemented for every arity like axum's
//! `Handler`, decide at compile time whether a function is a valid handler, and their
//! `#[diagnostic::on_unimplemented]` messages explain why not.

mod amqp;
mod extract;
mod hook;
mod result;
mod schedule;
mod sse;

pub use amqp::{AmqpHandler, MessagesArg};
pub use extract::{FromApp, StateRequirement};
pub use hook::{HookResult, IntoHookResult, box_hook};
pub use result::{BoxError, IntoHandlerResult};
pub use schedule::{ScheduleArg, ScheduledHandler};
pub use sse::{EventsArg, SseHandler};
