//! Handler typing shared by every backend: extractors, results, hooks, and the arity driver
//! the backends' own handler traits are written with. Each backend owns its trait:
//! `amqp::AmqpHandler`, `sse::SseHandler`, `schedule::ScheduledHandler`.
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
