//! The backends compiled into this build: the composition root's one list of them, in the
//! order they are prepared, checked and listed. Everything that names the backends (`--only`,
//! `--help`, preparation) reads it, so a feature that is off is absent everywhere.

use crate::app::App;
use crate::backend::Preparation;
use crate::registry::Filter;

/// How a backend is prepared from the registry and the settings.
pub(super) type Prepare = fn(&Filter, &App, &dyn Fn(&str) -> Option<String>) -> Preparation;

/// Every compiled-in backend: its `--only` name and how it is prepared.
pub(super) const ALL: &[(&str, Prepare)] = &[
    #[cfg(feature = "amqp")]
    ("amqp", crate::amqp::AmqpBackend::prepare),
    #[cfg(feature = "http")]
    ("http", crate::http::prepare),
    #[cfg(feature = "sse")]
    ("sse", crate::sse::prepare),
    #[cfg(feature = "sqs")]
    ("sqs", crate::sqs::prepare),
    #[cfg(feature = "schedule")]
    ("schedule", crate::schedule::prepare),
];

/// Every backend asyncworker has, compiled in or not: a name among these that is not compiled
/// in gets the feature to enable, not "unknown".
pub(super) const KNOWN: &[&str] = &["amqp", "http", "sse", "sqs", "schedule"];

/// The backends `--drain` does not start: they never run out of work (a stream, a schedule).
pub(super) const ENDLESS: &[&str] = &["sse", "schedule"];

/// The names `--only` accepts.
pub(super) fn kinds() -> Vec<&'static str> {
    ALL.iter().map(|(kind, _)| *kind).collect()
}
