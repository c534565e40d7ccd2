//! The schedule backend: `#[route(every = "30s")]` and `#[route(cron = "0 */5 * * * *")]`.
//!
//! Per route, one ticker task. At each tick a run is spawned unless `max_concurrency` runs are
//! still in flight, in which case the tick is skipped, logged and counted. A run's error,
//! panic or timeout is logged and counted and never stops the schedule. On shutdown the
//! tickers stop and the running jobs are awaited within the deadline.
//!
//! `every` ticks at a fixed rate from start (missed ticks are skipped, not bunched up);
//! `cron` expressions (seconds field first, UTC) are parsed by the `cron` crate, which also
//! computes the next fire time.

pub(crate) mod handler;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::FutureExt;
use prometheus_client::metrics::counter::Counter;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::backend::{
    Backend, CheckFuture, CheckLine, Preparation, RouteProblem, StateNeed, state_needs,
};
use crate::handler::BoxError;
use crate::handler::StateRequirement;
use crate::metrics::{RouteLabels, ScheduleLabels};
use crate::registry::Filter;
use crate::registry::RouteDef as _;
use handler::ScheduledHandler;

/// What the code `#[route(every = ...)]` / `#[route(cron = ...)]` generates names,
/// re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::{
        ScheduleFactory, ScheduleOptions, ScheduleRouteDef, Trigger, schedule_factory,
    };

    /// Compile-time check of one argument of a scheduled handler, spanned at its type by
    /// `#[route]`.
    pub fn assert_schedule_arg<T: super::handler::ScheduleArg>() {}
}

/// When a scheduled route runs.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Trigger {
    /// Every `ms` milliseconds (positive).
    Every(u64),
    /// A cron expression, seconds first, in UTC (validated at compile time).
    Cron(&'static str),
}

/// The options of a scheduled route; see the README's "Schedules".
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct ScheduleOptions {
    pub max_concurrency: u16,
    pub immediately: bool,
    pub timeout_ms: Option<u64>,
}

impl ScheduleOptions {
    pub const DEFAULT: ScheduleOptions = ScheduleOptions {
        max_concurrency: 1,
        immediately: false,
        timeout_ms: None,
    };
}

/// A registered scheduled route, as `#[route(every = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct ScheduleRouteDef {
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub trigger: Trigger,
    pub options: ScheduleOptions,
    pub factory: fn() -> ScheduleFactory,
}

inventory::collect!(ScheduleRouteDef);

crate::registry::route_def!(ScheduleRouteDef);

type Call =
    dyn Fn(&App) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>> + Send + Sync;

/// What a scheduled route's factory produces: the handler, erased, and what it needs.
#[doc(hidden)]
pub struct ScheduleFactory {
    call: Arc<Call>,
    required_state: Vec<StateRequirement>,
}

/// Builds a scheduled route's factory output; called by the generated code.
#[doc(hidden)]
pub fn schedule_factory<H, Args>(handler: H) -> ScheduleFactory
where
    H: ScheduledHandler<Args>,
    Args: 'static,
{
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    ScheduleFactory {
        call: Arc::new(move |app: &App| handler.call(app)),
        required_state,
    }
}

/// The next fire time of `schedule` strictly after `after`.
pub(crate) fn next_fire(schedule: &cron::Schedule, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule.after(&after).next()
}

enum Ticker {
    Every(Duration),
    Cron(Box<cron::Schedule>),
}

struct Prepared {
    def: &'static ScheduleRouteDef,
    ticker: Ticker,
    factory: ScheduleFactory,
}

impl Prepared {
    fn describe(&self) -> String {
        let o = &self.def.options;
        let trigger = match self.def.trigger {
            Trigger::Every(ms) => format!("every={ms}ms"),
            Trigger::Cron(expr) => format!("cron={expr:?}"),
        };
        let mut s = format!(
            "schedule {:<17} {trigger} max_concurrency={} immediately={}",
            self.def.name, o.max_concurrency, o.immediately
        );
        if let Some(t) = o.timeout_ms {
            s.push_str(&format!(" timeout={t}ms"));
        }
        s.push_str(&format!("  ({})", self.def.location()));
        s
    }

    /// The `--check` line: when the route would fire next if the worker started at `now`
    /// (UTC). A cron expression with no future fire time fails unless `immediately` runs the
    /// job once at start: otherwise the job would never run.
    fn check(&self, now: DateTime<Utc>) -> CheckLine {
        let immediately = self.def.options.immediately;
        let (next, trigger) = match &self.ticker {
            Ticker::Every(period) => (
                chrono::Duration::from_std(*period)
                    .ok()
                    .and_then(|p| now.checked_add_signed(p)),
                format!("every={}ms", period.as_millis()),
            ),
            Ticker::Cron(schedule) => (
                next_fire(schedule, now),
                format!("cron={:?}", schedule.source()),
            ),
        };
        let mut line = format!("schedule {}: {trigger}, ", self.def.name);
        match next {
            Some(t) => line.push_str(&format!(
                "next fire at {}",
                t.to_rfc3339_opts(SecondsFormat::Millis, true)
            )),
            None => line.push_str("no future fire time"),
        }
        if immediately {
            line.push_str(" (immediately: also runs once at start)");
        } else if next.is_none() {
            line.push_str(": the job would never run");
        }
        CheckLine {
            ok: next.is_some() || immediately,
            line,
        }
    }
}

struct ScheduleBackend {
    routes: Vec<Prepared>,
}

/// The scheduled routes of a worker, if any.
pub(crate) fn prepare(
    filter: &Filter,
    _app: &App,
    _lookup: &dyn Fn(&str) -> Option<String>,
) -> Preparation {
    let defs = crate::registry::routes::<ScheduleRouteDef>(filter);
    if defs.is_empty() {
        return Ok(None);
    }
    let mut problems = crate::registry::name_clashes(&defs, "scheduled routes");
    let mut routes = Vec::with_capacity(defs.len());
    for def in defs {
        let ticker = match def.trigger {
            Trigger::Every(ms) => Ticker::Every(Duration::from_millis(ms.max(1))),
            Trigger::Cron(expr) => match cron::Schedule::from_str(expr) {
                Ok(s) => Ticker::Cron(Box::new(s)),
                Err(e) => {
                    problems.push(RouteProblem::of(
                        def,
                        format!("invalid cron expression {expr:?}: {e}"),
                    ));
                    continue;
                }
            },
        };
        routes.push(Prepared {
            def,
            ticker,
            factory: (def.factory)(),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Some(Box::new(ScheduleBackend { routes })))
}

impl Backend for ScheduleBackend {
    fn kind(&self) -> &'static str {
        "schedule"
    }

    fn describe(&self) -> Vec<String> {
        self.routes.iter().map(Prepared::describe).collect()
    }

    fn check<'a>(&'a self, app: &'a App) -> CheckFuture<'a> {
        let _ = app;
        let now = Utc::now();
        let lines = self.routes.iter().map(|r| r.check(now)).collect();
        Box::pin(async move { lines })
    }

    fn required_state(&self) -> Vec<StateNeed> {
        self.routes
            .iter()
            .flat_map(|r| state_needs(r.def, &r.factory.required_state))
            .collect()
    }

    fn run(
        self: Box<Self>,
        app: App,
        stop: CancellationToken,
        deadline: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'static>> {
        Box::pin(async move {
            let mut tickers = JoinSet::new();
            for route in self.routes {
                tickers.spawn(tick(route, app.clone(), stop.clone(), deadline));
            }
            while tickers.join_next().await.is_some() {}
            Ok(())
        })
    }
}

/// The wait before the next tick, or `None` when the schedule has no further fire time.
struct Clock {
    every: Option<tokio::time::Interval>,
    cron: Option<cron::Schedule>,
}

impl Clock {
    async fn next(&mut self) -> bool {
        if let Some(interval) = &mut self.every {
            interval.tick().await;
            return true;
        }
        if let Some(schedule) = &self.cron {
            let Some(at) = next_fire(schedule, Utc::now()) else {
                return false;
            };
            let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            tokio::time::sleep(wait).await;
            return true;
        }
        false
    }
}

/// One route's ticker: runs until `stop`, then awaits its running jobs within `deadline`.
async fn tick(route: Prepared, app: App, stop: CancellationToken, deadline: Duration) {
    let def = route.def;
    let name = def.name;
    let max = usize::from(def.options.max_concurrency.max(1));
    let timeout = def.options.timeout_ms.map(Duration::from_millis);
    let m = app.metrics();
    let skips = m
        .schedule_skips
        .get_or_create(&RouteLabels {
            route: name.to_owned(),
        })
        .clone();
    let counter = |outcome: &str| -> Counter {
        m.schedule_runs
            .get_or_create(&ScheduleLabels {
                route: name.to_owned(),
                outcome: outcome.to_owned(),
            })
            .clone()
    };
    let counters = Arc::new(RunCounters {
        ok: counter("ok"),
        error: counter("error"),
        panic: counter("panic"),
        timeout: counter("timeout"),
    });
    let mut clock = match route.ticker {
        Ticker::Every(period) => {
            let mut interval = tokio::time::interval_at(Instant::now() + period, period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
            Clock {
                every: Some(interval),
                cron: None,
            }
        }
        Ticker::Cron(s) => Clock {
            every: None,
            cron: Some(*s),
        },
    };
    let mut runs: JoinSet<()> = JoinSet::new();
    let mut first = def.options.immediately;
    loop {
        if !first {
            tokio::select! {
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
        while runs.try_join_next().is_some() {}
        if runs.len() >= max {
            skips.inc();
            tracing::warn!(
                route = name,
                in_flight = runs.len(),
                max_concurrency = max,
                "schedule: tick skipped, previous runs still going"
            );
            continue;
        }
        let fut = (route.factory.call)(&app);
        let counters = Arc::clone(&counters);
        runs.spawn(run_once(name, fut, timeout, counters));
    }
    if runs.is_empty() {
        return;
    }
    tracing::info!(route = name, running = runs.len(), deadline = ?deadline, "schedule: stopped ticking; awaiting running jobs");
    let drained = tokio::time::timeout(deadline, async {
        while runs.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(route = name, deadline = ?deadline, "schedule: shutdown deadline passed; abandoning running jobs");
        runs.abort_all();
        while runs.join_next().await.is_some() {}
    }
}

struct RunCounters {
    ok: Counter,
    error: Counter,
    panic: Counter,
    timeout: Counter,
}

async fn run_once(
    route: &'static str,
    fut: Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>,
    timeout: Option<Duration>,
    counters: Arc<RunCounters>,
) {
    let fut = AssertUnwindSafe(fut).catch_unwind();
    let result = match timeout {
        Some(limit) => match tokio::time::timeout(limit, fut).await {
            Ok(r) => r,
            Err(_) => {
                counters.timeout.inc();
                tracing::error!(route, timeout = ?limit, "scheduled run timed out");
                return;
            }
        },
        None => fut.await,
    };
    match result {
        Ok(Ok(())) => {
            counters.ok.inc();
        }
        Ok(Err(error)) => {
            counters.error.inc();
            tracing::error!(route, %error, "scheduled run failed");
        }
        Err(panic) => {
            counters.panic.inc();
            let message = crate::dispatch::panic_message(&*panic);
            tracing::error!(route, panic = %message, "scheduled run panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn next(expr: &str, after: DateTime<Utc>) -> DateTime<Utc> {
        let schedule = cron::Schedule::from_str(expr).unwrap();
        next_fire(&schedule, after).unwrap()
    }

    #[test]
    fn every_five_minutes_crosses_the_hour() {
        let expr = "0 */5 * * * *";
        assert_eq!(
            next(expr, at(2026, 1, 1, 10, 57, 30)),
            at(2026, 1, 1, 11, 0, 0)
        );
        assert_eq!(
            next(expr, at(2026, 1, 1, 11, 0, 0)),
            at(2026, 1, 1, 11, 5, 0)
        );
        assert_eq!(
            next(expr, at(2026, 1, 1, 11, 4, 59)),
            at(2026, 1, 1, 11, 5, 0)
        );
    }

    #[test]
    fn every_second_crosses_the_minute() {
        let expr = "* * * * * *";
        assert_eq!(
            next(expr, at(2026, 1, 1, 10, 59, 59)),
            at(2026, 1, 1, 11, 0, 0)
        );
        assert_eq!(
            next(expr, at(2026, 1, 1, 10, 0, 0)),
            at(2026, 1, 1, 10, 0, 1)
        );
    }

    #[test]
    fn hourly_and_daily_cross_the_day() {
        assert_eq!(
            next("0 0 * * * *", at(2026, 1, 1, 23, 30, 0)),
            at(2026, 1, 2, 0, 0, 0)
        );
        assert_eq!(
            next("30 15 2 * * *", at(2026, 12, 31, 2, 15, 30)),
            at(2027, 1, 1, 2, 15, 30)
        );
        assert_eq!(
            next("0 59 * * * *", at(2026, 1, 1, 10, 59, 0)),
            at(2026, 1, 1, 11, 59, 0)
        );
    }

    async fn job() {}

    fn factory() -> ScheduleFactory {
        schedule_factory(job)
    }

    /// A prepared route as `prepare` builds it, for `def`.
    fn prepared(def: &'static ScheduleRouteDef) -> Prepared {
        let ticker = match def.trigger {
            Trigger::Every(ms) => Ticker::Every(Duration::from_millis(ms)),
            Trigger::Cron(expr) => Ticker::Cron(Box::new(cron::Schedule::from_str(expr).unwrap())),
        };
        Prepared {
            def,
            ticker,
            factory: factory(),
        }
    }

    const fn def(name: &'static str, trigger: Trigger, immediately: bool) -> ScheduleRouteDef {
        ScheduleRouteDef {
            name,
            module_path: "m",
            file: "f.rs",
            line: 1,
            trigger,
            options: ScheduleOptions {
                immediately,
                ..ScheduleOptions::DEFAULT
            },
            factory,
        }
    }

    #[test]
    fn check_gives_the_next_fire_time_in_utc() {
        static EVERY: ScheduleRouteDef = def("tick", Trigger::Every(1500), false);
        static CRON: ScheduleRouteDef = def("report", Trigger::Cron("0 0 3 * * *"), true);
        let now = at(2026, 1, 1, 10, 59, 59);
        let every = prepared(&EVERY).check(now);
        assert!(every.ok);
        assert_eq!(
            every.line,
            "schedule tick: every=1500ms, next fire at 2026-01-01T11:00:00.500Z"
        );
        let cron = prepared(&CRON).check(now);
        assert!(cron.ok);
        assert_eq!(
            cron.line,
            "schedule report: cron=\"0 0 3 * * *\", next fire at 2026-01-02T03:00:00.000Z (immediately: also runs once at start)"
        );
    }

    #[test]
    fn check_fails_a_cron_that_never_fires_again() {
        // The optional seventh field is the year.
        static PAST: ScheduleRouteDef = def("gone", Trigger::Cron("0 0 0 1 1 * 2020"), false);
        static ONCE: ScheduleRouteDef = def("once", Trigger::Cron("0 0 0 1 1 * 2020"), true);
        let now = at(2026, 1, 1, 0, 0, 0);
        let gone = prepared(&PAST).check(now);
        assert!(!gone.ok);
        assert!(
            gone.line
                .ends_with("no future fire time: the job would never run"),
            "{}",
            gone.line
        );
        // `immediately` still runs it once, at start.
        assert!(prepared(&ONCE).check(now).ok);
    }

    #[test]
    fn consecutive_fires_are_in_order() {
        let schedule = cron::Schedule::from_str("0 0,30 * * * *").unwrap();
        let fires: Vec<_> = schedule.after(&at(2026, 3, 1, 9, 45, 0)).take(3).collect();
        assert_eq!(
            fires,
            vec![
                at(2026, 3, 1, 10, 0, 0),
                at(2026, 3, 1, 10, 30, 0),
                at(2026, 3, 1, 11, 0, 0)
            ]
        );
    }
}
