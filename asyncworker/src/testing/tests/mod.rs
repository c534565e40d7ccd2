//! The testing helpers on routes registered by hand, as `#[route]` would register them.

#[cfg(feature = "http")]
mod http;
#[cfg(feature = "schedule")]
mod schedule;
