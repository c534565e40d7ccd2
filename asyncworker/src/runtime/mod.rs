//! Running a worker: its lifecycle, the errors that stop it, `--check`, the command line (and
//! the documents it prints), signals and logging.
//!
//! [`Worker`], [`WorkerError`] and [`RouteProblem`] are also at the crate root; the `--check`
//! report ([`CheckReport`], [`CheckItem`]) and [`run_with`] live here.

mod backends;
mod check;
mod cli;
mod documents;
mod drain;
mod error;
mod logging;
mod signal;
mod worker;

#[cfg(test)]
mod tests;

pub use crate::registry::RouteProblem;
pub use check::{CheckItem, CheckReport};
pub use cli::{run_main, run_with};
pub use error::WorkerError;
pub use logging::{TracingLayer, TracingLayers};
pub use worker::Worker;
#[cfg(feature = "testing")]
pub(crate) use worker::{finish, prepare_each, run_shutdown_hooks, start};
