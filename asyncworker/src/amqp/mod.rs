//! The RabbitMQ backend: `#[route(amqp = [...])]` consumers and `app.amqp()` publishing.
//!
//! Per route: one dispatcher (backend-agnostic, see `dispatch/`) fed by one *source* per
//! queue, each on its own channel so that coalesced `multiple = true` acks only ever cover
//! that consumer's deliveries.
//!
//! - `def`: what the macro registers; `resolve`: how its options resolve; `backend`: how the
//!   routes are prepared and run; `asyncapi`: their part of the AsyncAPI document.
//! - `consumer/`: a queue's channel, its deliveries, their settlement and the handler trait.
//! - `publisher/`: `app.amqp()` and confirmed publishing.
//! - Shared broker pieces: `connection` (with its `tls` and the `rotation` over its URLs),
//!   `topology` (printed by `--topology` through `definitions`), `retry`, `check`, `drained`
//!   (`--drain`).
//! - `lease`: the exclusive queues that elect the replica firing a `singleton = true`
//!   schedule; `lease_log` keeps lapin from logging every refused poll as an error.
//! - `memory/` (feature `testing`): the in-memory transport of the testing harness.

mod asyncapi;
mod backend;
mod check;
mod connection;
mod consumer;
mod def;
mod definitions;
mod drained;
mod field;
#[cfg(feature = "schedule")]
pub(crate) mod lease;
#[cfg(feature = "schedule")]
pub(crate) mod lease_log;
#[cfg(feature = "testing")]
pub(crate) mod memory;
mod mismatch;
mod publisher;
mod resolve;
mod retry;
mod rotation;
mod tls;
mod topology;

#[cfg(feature = "testing")]
pub use crate::action::MarkProbe;
pub use crate::settings::AmqpTls;
pub(crate) use asyncapi::publishing_servers;
pub(crate) use backend::AmqpBackend;
pub use consumer::error_handler::AmqpErrorHandler;
#[cfg(feature = "testing")]
pub use consumer::for_test::{IntoFieldValue, MessageBuilder};
pub use consumer::handler::{AmqpHandler, MessagesArg};
pub use consumer::message::Message;
pub use lapin::BasicProperties;
pub use lapin::types::{AMQPValue, FieldTable};
pub use publisher::Amqp;
#[cfg(feature = "testing")]
pub(crate) use publisher::client::{Clients, encoded_message, json_message};
pub use publisher::error::PublishError;
pub use retry::{
    ATTEMPT_HEADER, DEAD_LETTERED_AT_HEADER, ERROR_HEADER, EXCHANGE_HEADER, QUEUE_HEADER,
    ROUTE_HEADER, ROUTING_KEY_HEADER,
};

/// What the code `#[route(amqp = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::consumer::handler::{MessagesArg, assert_messages};
    pub use super::consumer::intake::{
        AmqpFactory, AmqpTyped, amqp_factory, amqp_factory_with, amqp_typed,
    };
    pub use super::def::{AmqpOptions, AmqpRouteDef, QueueType, TopologyOptions};
}
