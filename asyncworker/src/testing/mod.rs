//! Testing a worker without a broker, a socket or a clock (feature `testing`): the routes'
//! HTTP router called in process, and one tick of a schedule run on demand.
//!
//! Handlers can also be called directly in unit tests: `Message::for_test` and `Event::for_test`
//! make their arguments, and `Message::mark_probe` reads the marks they set.

#[cfg(feature = "http")]
mod http;
#[cfg(feature = "schedule")]
mod schedule;

#[cfg(feature = "http")]
pub use http::{TestHttp, TestResponse};
#[cfg(feature = "schedule")]
pub use schedule::RunError;

#[cfg(test)]
mod tests;
