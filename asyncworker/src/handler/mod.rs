//! Handler typing shared by every backend: extractors, results, hooks, and the arity driver
//! the backends' own handler traits (`amqp::handler`, `sse::handler`, `schedule::handler`) are
//! written with.
//!
//! Handlers are plain functions; the traits, implemented for every arity like axum's
//! `Handler`, decide at compile time whether a function is a valid handler, and their
//! `#[diagnostic::on_unimplemented]` messages explain why not.

mod extract;
mod hook;
mod macros;
mod result;

pub use extract::{FromApp, StateRequirement};
pub use hook::{HookResult, IntoHookResult, box_hook};
pub(crate) use macros::{all_the_extractors, extract_or_return};
pub use result::{BoxError, HandlerFuture, IntoHandlerResult};

#[cfg(feature = "amqp")]
pub use crate::amqp::handler::{AmqpHandler, MessagesArg};
#[cfg(feature = "schedule")]
pub use crate::schedule::handler::{ScheduleArg, ScheduledHandler};
#[cfg(feature = "sse")]
pub use crate::sse::handler::{EventsArg, SseHandler};
