//! Running a worker: its lifecycle, the errors that stop it, `--check`, the command line,
//! signals and logging.

mod backends;
mod check;
mod cli;
mod error;
mod logging;
mod signal;
mod worker;

#[cfg(test)]
mod tests;

pub use check::{CheckItem, CheckReport};
pub use cli::{run_main, run_with};
pub use error::{RouteProblem, WorkerError};
pub use worker::Worker;
