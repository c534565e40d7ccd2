//! Testing a worker without a broker, a socket or a clock (feature `testing`): the routes'
//! HTTP router called in process.
//!
//! Handlers can also be called directly in unit tests: `Message::for_test` and `Event::for_test`
//! make their arguments, and `Message::mark_probe` reads the marks they set.

#[cfg(feature = "http")]
mod http;

#[cfg(feature = "http")]
pub use http::{TestHttp, TestResponse};

#[cfg(test)]
mod tests;
