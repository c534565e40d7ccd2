//! Why a worker refuses to start or stops abnormally: `WorkerError`, which carries the typed
//! `RouteProblem`s that backends report while preparing their routes.

use std::fmt;

use crate::registry::RouteProblem;
use crate::settings::SettingsError;

/// Why a worker could not start or stopped abnormally.
#[derive(Debug)]
#[non_exhaustive]
pub enum WorkerError {
    /// A setting had a bad value.
    Settings(SettingsError),
    /// The registered routes cannot run as they are (none, clashes, bad connection settings):
    /// every problem found, not just the first.
    Routes(Vec<RouteProblem>),
    /// A startup hook failed; nothing was consumed.
    Startup {
        /// The hook's name.
        hook: &'static str,
        /// Where it is defined.
        location: String,
        /// What it returned.
        error: crate::handler::BoxError,
    },
    /// Routes need state that no startup hook inserted: one problem per route and type.
    MissingState(Vec<RouteProblem>),
    /// A backend failed while running (e.g. the HTTP port was taken).
    Backend(String),
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::Settings(e) => write!(f, "{e}"),
            WorkerError::Routes(problems) | WorkerError::MissingState(problems) => {
                write_lines(f, problems)
            }
            WorkerError::Startup {
                hook,
                location,
                error,
            } => write!(f, "startup hook `{hook}` ({location}) failed: {error}"),
            WorkerError::Backend(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for WorkerError {}

/// One problem per line, in the order they were found.
fn write_lines(f: &mut fmt::Formatter<'_>, problems: &[RouteProblem]) -> fmt::Result {
    for (i, problem) in problems.iter().enumerate() {
        if i > 0 {
            f.write_str("\n")?;
        }
        write!(f, "{problem}")?;
    }
    Ok(())
}
