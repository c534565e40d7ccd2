//! `use asyncworker::prelude::*;` brings the attributes and the types handlers use.

pub use crate::Event;
pub use crate::{Action, App, Message, State, on_shutdown, on_startup, route};
