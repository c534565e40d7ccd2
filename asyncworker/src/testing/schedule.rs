//! One tick of a scheduled route, run on demand: the same call a tick makes (its timeout, its
//! panic caught, its runs counted), without a ticker.

use std::fmt;
use std::time::Duration;

use crate::app::App;
use crate::dispatch::Outcome;
use crate::registry::{Filter, RouteProblem};
use crate::schedule::Prepared;

use super::worker::TestWorker;

impl TestWorker {
    /// Runs the job of the scheduled route named `name` once, now, as a tick would (its
    /// `timeout` applies, a panic is caught, the run is counted in the metrics), and says how
    /// it ended. Schedules never fire on their own in a test worker.
    ///
    /// # Panics
    /// If no scheduled route has that name; the message lists the names there are.
    ///
    /// ```
    /// use asyncworker::prelude::*;
    /// use asyncworker::testing::{RunError, TestWorker};
    ///
    /// #[route(cron = "0 0 3 * * *")]
    /// async fn nightly() -> Result<(), String> {
    ///     Err("nothing to report".into())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let w = TestWorker::builder().only_module(module_path!()).start().await.unwrap();
    /// let e = w.run_schedule("nightly").await.unwrap_err();
    /// assert_eq!(e, RunError::Failed("nothing to report".into()));
    /// w.stop().await;
    /// # }
    /// ```
    pub async fn run_schedule(&self, name: &str) -> Result<(), RunError> {
        self.parts.schedules.run(&self.parts.app, name).await
    }
}

/// The scheduled routes of a test worker, by name. Nothing ticks: a job runs when a test
/// asks.
pub(crate) struct Schedules {
    routes: Vec<Prepared>,
}

impl Schedules {
    /// The scheduled routes `filter` keeps, prepared as the schedule backend prepares them
    /// (the same problems are found).
    pub(crate) fn prepare(filter: &Filter, _app: &App) -> Result<Schedules, Vec<RouteProblem>> {
        Ok(Schedules {
            routes: crate::schedule::routes(filter)?,
        })
    }

    /// Runs the job of the route named `name` once, now, and says how it ended. Each call
    /// runs: `max_concurrency` limits ticks, and nothing ticks here.
    ///
    /// # Panics
    /// If no scheduled route has that name; the message lists the names there are.
    pub(crate) async fn run(&self, app: &App, name: &str) -> Result<(), RunError> {
        let Some(route) = self.routes.iter().find(|r| r.def.name == name) else {
            let known: Vec<&str> = self.routes.iter().map(|r| r.def.name).collect();
            panic!("no scheduled route is named {name:?}; the scheduled routes are {known:?}");
        };
        match route.run_now(app).await {
            Outcome::Ok => Ok(()),
            Outcome::Err(e) => Err(RunError::Failed(e.to_string())),
            Outcome::Panic(message) => Err(RunError::Panicked(message)),
            Outcome::Timeout(limit) => Err(RunError::TimedOut(limit)),
        }
    }
}

/// How a scheduled run that a test started failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunError {
    /// The job returned an error; its text.
    Failed(String),
    /// The job panicked; the panic message.
    Panicked(String),
    /// The job did not finish within the route's `timeout`, which is given.
    TimedOut(Duration),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Failed(error) => write!(f, "the scheduled run failed: {error}"),
            RunError::Panicked(message) => write!(f, "the scheduled run panicked: {message}"),
            RunError::TimedOut(limit) => {
                write!(f, "the scheduled run timed out after {limit:?}")
            }
        }
    }
}

impl std::error::Error for RunError {}
