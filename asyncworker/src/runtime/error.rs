//! Why a worker refuses to start or stops abnormally: `WorkerError`, and the typed
//! `RouteProblem`s that backends report while preparing their routes.

use std::fmt;

use crate::registry::RouteDef;
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

/// One reason the registered routes cannot run, found before anything starts.
///
/// Its `Display` is the line a worker prints: `` route `name` (file:line): message `` for a
/// problem of one route, the message alone otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteProblem {
    /// The route at fault; `None` for a problem that is not one route's: no route at all, a
    /// bad connection setting, or two routes that clash (the message names both).
    pub route: Option<&'static str>,
    /// `file:line` of the route's handler, when there is one route at fault.
    pub location: Option<String>,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl RouteProblem {
    /// A problem of the route registered as `def`.
    pub(crate) fn of(def: &impl RouteDef, message: impl Into<String>) -> RouteProblem {
        RouteProblem::at(def.name(), def.location(), message)
    }

    /// A problem of the route `route`, defined at `location`.
    pub(crate) fn at(
        route: &'static str,
        location: String,
        message: impl Into<String>,
    ) -> RouteProblem {
        RouteProblem {
            route: Some(route),
            location: Some(location),
            message: message.into(),
        }
    }

    /// A problem of the worker as a whole, not of one route.
    pub(crate) fn worker(message: impl Into<String>) -> RouteProblem {
        RouteProblem {
            route: None,
            location: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RouteProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.route, &self.location) {
            (Some(route), Some(at)) => write!(f, "route `{route}` ({at}): {}", self.message),
            (Some(route), None) => write!(f, "route `{route}`: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}
