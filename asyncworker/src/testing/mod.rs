//! Testing a worker without a broker, a server or a clock (feature `testing`; add it under
//! `[dev-dependencies]`).
//!
//! [`TestWorker`] starts the routes and hooks a binary registered on in-memory transports and
//! runs the real dispatcher, bulks, settlement, retries and dead letters: a test publishes,
//! waits with [`TestWorker::settled`] and reads what became of every message
//! (`TestWorker::fates`) and what the handlers published (`TestWorker::published`).
//! Handlers can also be called directly: `Message::for_test` and `Event::for_test` make their
//! arguments, and `Message::mark_probe` reads the marks they set.
//!
//! - `builder`, `worker`: starting and stopping a test worker; `settle`: waiting for it.
//! - `amqp`, `sse`: feeding and reading each backend's in-memory transport.
//! - `http`: the routes' HTTP router called in process; `schedule`: one tick on demand.

// `fates` and `published` are not links: they exist only with the `amqp` feature, and the docs
// of a build without it must not break.

#[cfg(feature = "amqp")]
mod amqp;
mod builder;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "schedule")]
mod schedule;
mod settle;
#[cfg(feature = "sse")]
mod sse;
mod worker;

#[cfg(feature = "amqp")]
pub use crate::amqp::memory::{ExchangeKind, Fate, FateKind, Recorded};
pub use builder::TestWorkerBuilder;
#[cfg(feature = "http")]
pub use http::{TestHttp, TestResponse};
#[cfg(feature = "schedule")]
pub use schedule::RunError;
pub use worker::TestWorker;

#[cfg(test)]
mod tests;
