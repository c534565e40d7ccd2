//! The publisher side: `app.amqp()` and publishing with confirms on publisher connections.

pub(crate) mod client;
pub(crate) mod error;
pub(crate) mod publish;

pub use client::Amqp;
