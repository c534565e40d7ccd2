//! The backend-agnostic consumer pipeline: decode, bucket, call the handler under a
//! concurrency limit and a timeout, catch panics, and settle every item.
//!
//! It knows nothing of lapin or HTTP. A backend feeds it [`Inbound`] items through a channel
//! and provides a [`Receipt`] type that knows how to settle them; the dispatcher ends when that
//! channel closes, after handing the partial bucket to the handler and waiting for every
//! handler call it started.

mod adapter;
mod call;
mod contract;
mod run;
#[cfg(test)]
mod tests;

pub(crate) use adapter::{Factory, FailFn, Intake, factory};
pub(crate) use call::{Outcome, call, panic_message};
pub(crate) use contract::{Actions, DispatchConfig, Inbound, Receipt};
pub(crate) use run::run;
