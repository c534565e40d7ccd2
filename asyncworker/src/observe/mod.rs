//! What a worker tells the outside about itself: readiness ([`Health`]), Prometheus
//! [`Metrics`], timings of code sections ([`Timeit`]) and systemd notifications.

pub(crate) mod checks;
pub(crate) mod health;
pub(crate) mod metrics;
pub(crate) mod notify;
mod timeit;

pub use health::Health;
pub use metrics::Metrics;
pub use timeit::{Timeit, TimeitReport, TimeitSpan};
