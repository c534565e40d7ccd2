//! `use asyncworker::prelude::*;` brings the attributes and the types handlers use.

#[cfg(feature = "sse")]
pub use crate::Event;
#[cfg(feature = "amqp")]
pub use crate::Message;
#[cfg(feature = "schedule")]
pub use crate::schedule::RunKey;
#[cfg(feature = "sqs")]
pub use crate::sqs::SqsMessage;
pub use crate::{Action, App, Failure, State, on_shutdown, on_startup, route};
