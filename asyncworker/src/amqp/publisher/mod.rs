//! The publisher side: `app.amqp()` and publishing with confirms on publisher connections.

pub(crate) mod client;
pub(crate) mod error;
mod mandatory;
pub(crate) mod publish;
mod slot;
pub(crate) mod transport;

pub use client::Amqp;
