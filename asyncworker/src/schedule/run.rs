//! One route's ticker: at each tick, a run of the handler unless `max_concurrency` runs are
//! still going; on shutdown, the running jobs get the deadline.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::backend::Prepared;
use super::clock::Clock;
use super::def::Call;
use crate::app::App;
use crate::dispatch::{Outcome, call};
use crate::observe::metrics::{RouteLabels, ScheduleLabels};

/// Runs until `stop`, then awaits its running jobs within `deadline`.
pub(crate) async fn tick(route: Prepared, app: App, stop: CancellationToken, deadline: Duration) {
    let def = route.def;
    let name = def.name;
    let max = usize::from(def.options.max_concurrency.max(1));
    let timeout = def.options.timeout_ms.map(Duration::from_millis);
    let counters = Arc::new(RunCounters::new(&app, name));
    let mut clock = Clock::start(route.ticker);
    let mut runs: JoinSet<()> = JoinSet::new();
    let mut first = def.options.immediately;
    loop {
        if !first {
            tokio::select! {
                // A stop wins over a tick that is due at the same moment.
                biased;
                () = stop.cancelled() => break,
                more = clock.next() => if !more {
                    tracing::info!(route = name, "schedule has no further fire time");
                    stop.cancelled().await;
                    break;
                },
            }
        }
        first = false;
        if stop.is_cancelled() {
            break;
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
        runs.spawn(run_once(name, handler, app, timeout, counters));
    }
    if runs.is_empty() {
        return;
    }
    tracing::info!(route = name, running = runs.len(), deadline = ?deadline, "schedule: stopped ticking; awaiting running jobs");
    let kind = format!("schedule `{name}`");
    crate::drain::drain(&mut runs, deadline, &kind, "abandoning running jobs").await;
}

/// One run: the handler called as every handler is (panics caught, the timeout applied),
/// then counted and logged. A failed run never stops the schedule.
async fn run_once(
    route: &'static str,
    handler: Arc<Call>,
    app: App,
    timeout: Option<Duration>,
    counters: Arc<RunCounters>,
) {
    let outcome = call(|| handler(&app), timeout, app.clock()).await;
    counters.runs(&outcome).inc();
    match &outcome {
        Outcome::Ok => {}
        Outcome::Err(error) => tracing::error!(route, %error, "scheduled run failed"),
        Outcome::Panic(message) => {
            tracing::error!(route, panic = %message, "scheduled run panicked")
        }
        Outcome::Timeout(limit) => {
            tracing::error!(route, timeout = ?limit, "scheduled run timed out")
        }
    }
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
