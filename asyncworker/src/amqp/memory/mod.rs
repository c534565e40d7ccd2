//! The AMQP backend's in-memory transport, for the testing harness (feature `testing`): a
//! broker with RabbitMQ's routing, prefetch, acks, requeues, TTLs and dead-lettering, fed to
//! the same sources, dispatcher, settler and retry policy as a real broker's deliveries.
//!
//! - `broker`: exchanges, queues, consumers and what happened to each delivery;
//!   `routing` (exchange types) and `dead_letter` (TTL and `x-death`) are its rules.
//! - `consume`: a route's consumer of one queue, and the declaration of its topology.
//! - `record`: what a test reads (`Recorded`, `Fate`).

mod broker;
mod consume;
mod dead_letter;
mod record;
mod routing;

pub(crate) use broker::MemoryBroker;
pub(crate) use consume::{attach, consume};
pub use record::{Fate, FateKind, Recorded};
pub use routing::ExchangeKind;
