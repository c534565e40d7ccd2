//! The schedule backend: scheduled routes resolved from the registry, listed, checked and
//! run (one ticker task per route).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::clock::Ticker;
use super::crontab::Crontab;
use super::def::{ScheduleFactory, ScheduleRouteDef, Trigger};
use super::run::tick;
use crate::app::App;
use crate::backend::{Backend, CheckFuture, CheckLine, Preparation, StateNeed, state_needs};
use crate::future::BoxFuture;
use crate::registry::Filter;
use crate::registry::RouteDef as _;
use crate::registry::RouteProblem;

/// One scheduled route, ready to run.
pub(crate) struct Prepared {
    pub(crate) def: &'static ScheduleRouteDef,
    pub(crate) ticker: Ticker,
    pub(crate) factory: ScheduleFactory,
}

impl Prepared {
    pub(crate) fn describe(&self) -> String {
        let o = &self.def.options;
        let trigger = match &self.ticker {
            Ticker::Every(period) => format!("every={}ms", period.as_millis()),
            Ticker::Cron(crontab) => crontab.describe(),
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
    /// (UTC, or the route's `tz` with its offset). A cron expression with no future fire time fails unless `immediately` runs the
    /// job once at start: otherwise the job would never run.
    pub(crate) fn check(&self, now: DateTime<Utc>) -> CheckLine {
        let immediately = self.def.options.immediately;
        let (next, trigger) = match &self.ticker {
            Ticker::Every(period) => (
                chrono::Duration::from_std(*period)
                    .ok()
                    .and_then(|p| now.checked_add_signed(p)),
                format!("every={}ms", period.as_millis()),
            ),
            Ticker::Cron(crontab) => (crontab.next_after(now), crontab.describe()),
        };
        let mut line = format!("schedule {}: {trigger}, ", self.def.name);
        let at = |t: DateTime<Utc>| match &self.ticker {
            Ticker::Cron(c) if c.tz() != chrono_tz::Tz::UTC => t
                .with_timezone(&c.tz())
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            _ => t.to_rfc3339_opts(SecondsFormat::Millis, true),
        };
        match next {
            Some(t) => line.push_str(&format!("next fire at {}", at(t))),
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
    let routes = routes(filter)?;
    if routes.is_empty() {
        return Ok(None);
    }
    Ok(Some(Box::new(ScheduleBackend { routes })))
}

/// The scheduled routes `filter` keeps, each with its ticker and handler; every bad cron
/// expression and name clash is reported at once.
pub(crate) fn routes(filter: &Filter) -> Result<Vec<Prepared>, Vec<RouteProblem>> {
    let defs = crate::registry::routes::<ScheduleRouteDef>(filter);
    let mut problems = crate::registry::name_clashes(&defs, "scheduled routes");
    let mut routes = Vec::with_capacity(defs.len());
    for def in defs {
        let ticker = match def.trigger {
            Trigger::Every(ms) => Ticker::Every(Duration::from_millis(ms.max(1))),
            Trigger::Cron(expr) => match Crontab::parse(expr, def.options.tz) {
                Ok(c) => Ticker::Cron(Box::new(c)),
                Err(e) => {
                    problems.push(RouteProblem::of(def, e));
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
    if problems.is_empty() {
        Ok(routes)
    } else {
        Err(problems)
    }
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
    ) -> BoxFuture<'static, Result<(), String>> {
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
