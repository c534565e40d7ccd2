//! One route's ticker: at each tick, a run of the handler unless `max_concurrency` runs are
//! still going; on shutdown, the running jobs get the deadline.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use prometheus_client::metrics::counter::Counter;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::backend::Prepared;
use super::clock::Clock;
use super::def::Call;
use super::run_key::RunKey;
use crate::app::App;
use crate::dispatch::{Outcome, call};
use crate::observe::metrics::{RouteLabels, ScheduleLabels};

/// Runs until `stop`, then awaits its running jobs within `deadline`.
pub(crate) async fn tick(route: Prepared, app: App, stop: CancellationToken, deadline: Duration) {
    let def = route.def;
    let name = def.name;
    let max = usize::from(def.options.max_concurrency.max(1));
    let timeout = route.timeout();
    let counters = Arc::new(RunCounters::new(&app, name));
    let mut clock = Clock::start(route.ticker, def.options.singleton);
    let mut runs: JoinSet<Outcome> = JoinSet::new();
    // `immediately`: a first run planned for the start.
    let mut first = def.options.immediately.then(Utc::now);
    loop {
        let planned = match first.take() {
            Some(at) => at,
            None => tokio::select! {
                // A stop wins over a tick that is due at the same moment.
                biased;
                () = stop.cancelled() => break,
                at = clock.next() => match at {
                    Some(at) => at,
                    None => {
                        tracing::info!(route = name, "schedule has no further fire time");
                        stop.cancelled().await;
                        break;
                    }
                },
            },
        };
        if stop.is_cancelled() {
            break;
        }
        // A singleton fires only where its lease is held at this instant.
        if route.lease.as_ref().is_some_and(|lease| !lease.held()) {
            tracing::debug!(route = name, "singleton: tick left to the lease holder");
            continue;
        }
        // Reap the runs that ended since the last tick before counting: otherwise a finished
        // run still holds its place and the tick is skipped for nothing.
        while runs.try_join_next().is_some() {}
        if runs.len() >= max {
            counters.skips.inc();
            tracing::warn!(
                route = name,
                in_flight = runs.len(),
                max_concurrency = max,
                "schedule: tick skipped, previous runs still going"
            );
            continue;
        }
        let (handler, app, counters) = (
            Arc::clone(&route.factory.call),
            app.clone(),
            Arc::clone(&counters),
        );
        let key = RunKey::new(name, planned);
        runs.spawn(run_once(key, handler, app, timeout, counters));
    }
    if runs.is_empty() {
        return;
    }
    tracing::info!(route = name, running = runs.len(), deadline = ?deadline, "schedule: stopped ticking; awaiting running jobs");
    let kind = format!("schedule `{name}`");
    crate::drain::drain(&mut runs, deadline, &kind, "abandoning running jobs").await;
}

impl Prepared {
    /// The time limit of one run, if the route sets one.
    fn timeout(&self) -> Option<Duration> {
        self.def.options.timeout_ms.map(Duration::from_millis)
    }

    /// One run now, outside the ticker, as a tick would start it (feature `testing`: a test
    /// worker's `run_schedule`), its key planned for now. `max_concurrency` does not apply:
    /// every call runs, and a singleton runs as its lease holder would.
    #[cfg(feature = "testing")]
    pub(crate) async fn run_now(&self, app: &App) -> Outcome {
        let name = self.def.name;
        let counters = Arc::new(RunCounters::new(app, name));
        let handler = Arc::clone(&self.factory.call);
        let key = RunKey::new(name, chrono::Utc::now());
        run_once(key, handler, app.clone(), self.timeout(), counters).await
    }
}

/// One run: the handler called as every handler is (panics caught, the timeout applied),
/// then counted and logged. A failed run never stops the schedule; how it ended is returned
/// for a test that ran it.
async fn run_once(
    key: RunKey,
    handler: Arc<Call>,
    app: App,
    timeout: Option<Duration>,
    counters: Arc<RunCounters>,
) -> Outcome {
    let route = key.route();
    let outcome = call(|| handler(&app, &key), timeout, app.clock()).await;
    counters.runs(&outcome).inc();
    match &outcome {
        Outcome::Ok => {}
        Outcome::Err(error) => tracing::error!(route, run = %key, %error, "scheduled run failed"),
        Outcome::Panic(message) => {
            tracing::error!(route, run = %key, panic = %message, "scheduled run panicked")
        }
        Outcome::Timeout(limit) => {
            tracing::error!(route, run = %key, timeout = ?limit, "scheduled run timed out")
        }
    }
    outcome
}

/// Pre-built metric handles of one scheduled route.
struct RunCounters {
    /// Runs by outcome: [ok, error, panic, timeout].
    runs: [Counter; 4],
    skips: Counter,
}

impl RunCounters {
    fn new(app: &App, route: &str) -> RunCounters {
        let m = app.metrics();
        let runs = |outcome: &str| -> Counter {
            m.schedule_runs
                .get_or_create(&ScheduleLabels {
                    route: route.to_owned(),
                    outcome: outcome.to_owned(),
                })
                .clone()
        };
        RunCounters {
            runs: [runs("ok"), runs("error"), runs("panic"), runs("timeout")],
            skips: m
                .schedule_skips
                .get_or_create(&RouteLabels {
                    route: route.to_owned(),
                })
                .clone(),
        }
    }

    fn runs(&self, outcome: &Outcome) -> &Counter {
        let i = match outcome {
            Outcome::Ok => 0,
            Outcome::Err(_) => 1,
            Outcome::Panic(_) => 2,
            Outcome::Timeout(_) => 3,
        };
        &self.runs[i]
    }
}
