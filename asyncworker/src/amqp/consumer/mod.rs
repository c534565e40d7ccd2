//! The consumer side: one channel per (route, queue), its deliveries handed to the route's
//! dispatcher, their settlement, and the functions that may handle them.

pub(crate) mod acker;
pub(crate) mod error_handler;
#[cfg(feature = "testing")]
pub(crate) mod for_test;
pub(crate) mod handler;
pub(crate) mod inbound;
pub(crate) mod intake;
pub(crate) mod message;
pub(crate) mod poison;
pub(crate) mod settle;
pub(crate) mod source;
mod watch;
