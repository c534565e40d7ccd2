//! Testing a worker without a broker, a server or a clock (feature `testing`; add it under
//! `[dev-dependencies]`).
//!
//! [`TestWorker`] starts the routes and hooks a binary registered on in-memory transports and
//! runs the real dispatcher, bulks, settlement, retries and dead letters: a test publishes,
//! waits with [`TestWorker::settled`] and reads what became of every message
//! ([`TestWorker::fates`]) and what the handlers published ([`TestWorker::published`]).
//! Handlers can also be called directly: `Message::for_test` and `Event::for_test` make their
//! arguments.
//!
//! - `builder`, `worker`: starting and stopping a test worker; `settle`: waiting for it.
//! - `amqp`, `sse`: feeding and reading each backend's in-memory transport.

#[cfg(feature = "amqp")]
mod amqp;
mod builder;
mod settle;
#[cfg(feature = "sse")]
mod sse;
mod worker;

#[cfg(feature = "amqp")]
pub use crate::amqp::memory::{ExchangeKind, Fate, FateKind, Recorded};
pub use builder::TestWorkerBuilder;
pub use worker::TestWorker;
