//! The schedule backend: scheduled routes resolved from the registry, listed, checked and
//! run (one ticker task per route).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::clock::{Ticker, next_aligned};
use super::crontab::Crontab;
use super::def::{ScheduleFactory, ScheduleRouteDef, Trigger};
use super::run::tick;
use super::singleton::{LEASE_NAME_MAX, Lease, Leases, lease_name};
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
    /// A `singleton = true` route's lease name (`asyncworker.lease.<app>.<route>`), once
    /// prepared for a worker.
    pub(crate) lease_name: Option<String>,
    /// Its lease, while it runs: a tick fires only while it is held.
    pub(crate) lease: Option<Lease>,
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
        if let Some(lease) = &self.lease_name {
            s.push_str(&format!(" singleton lease={lease}"));
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
            Ticker::Every(period) if self.def.options.singleton => {
                let ms = u64::try_from(period.as_millis()).unwrap_or(u64::MAX);
                let at = next_aligned(now.timestamp_millis(), ms, None);
                (
                    DateTime::from_timestamp_millis(at),
                    format!("every={ms}ms singleton"),
                )
            }
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
    /// What holds the leases of the singleton routes, if there are any.
    leases: Option<Leases>,
}

/// The scheduled routes of a worker, if any, with the leases of its singletons.
pub(crate) fn prepare(
    filter: &Filter,
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Preparation {
    let mut routes = routes(filter)?;
    if routes.is_empty() {
        return Ok(None);
    }
    let leases = singletons(&mut routes, app, lookup)?;
    Ok(Some(Box::new(ScheduleBackend { routes, leases })))
}

/// Names the lease of each `singleton = true` route after the application, then (once every
/// name fits the broker) registers the leases and the tasks of the backend granting them.
fn singletons(
    routes: &mut [Prepared],
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Leases>, Vec<RouteProblem>> {
    let app_name = &app.settings().app_name;
    let mut problems = Vec::new();
    for route in routes.iter_mut().filter(|r| r.def.options.singleton) {
        let name = lease_name(app_name, route.def.name);
        if name.len() > LEASE_NAME_MAX {
            problems.push(RouteProblem::of(
                route.def,
                format!(
                    "singleton lease `{name}` is {} bytes, over the broker's {LEASE_NAME_MAX}: \
                     shorten the route's name or ASYNCWORKER_APP_NAME",
                    name.len()
                ),
            ));
        }
        route.lease_name = Some(name);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // The test harness has no broker to hold a lease: its singletons run as their leader
    // would, when a test asks, and neither a lease nor its readiness part is registered (a
    // standby that can never lead would keep the harness's readiness at 503).
    if app.clock().is_virtual() {
        return Ok(None);
    }
    grant(routes, app, lookup)
}

/// The leases of the named singleton routes, held by the AMQP backend's tasks.
#[cfg(feature = "amqp")]
fn grant(
    routes: &mut [Prepared],
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Leases>, Vec<RouteProblem>> {
    let mut holders = Vec::new();
    for route in routes.iter_mut() {
        if let Some(name) = &route.lease_name {
            let (lease, holder) = super::singleton::lease(app, route.def.name, name.clone());
            route.lease = Some(lease);
            holders.push(holder);
        }
    }
    if holders.is_empty() {
        return Ok(None);
    }
    crate::amqp::lease::lease_tasks(app, lookup, holders)
        .map(Some)
        .map_err(|p| vec![p])
}

/// Without the AMQP backend there is no broker to hold a lease: each singleton route is a
/// problem (the macro refuses them already; this covers routes registered by hand).
#[cfg(not(feature = "amqp"))]
fn grant(
    routes: &mut [Prepared],
    _app: &App,
    _lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Leases>, Vec<RouteProblem>> {
    let problems: Vec<RouteProblem> = routes
        .iter()
        .filter(|r| r.lease_name.is_some())
        .map(|r| {
            RouteProblem::of(
                r.def,
                "singleton = true needs asyncworker's `amqp` feature: the lease is an exclusive queue on the broker",
            )
        })
        .collect();
    if problems.is_empty() {
        Ok(None)
    } else {
        Err(problems)
    }
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
            lease_name: None,
            lease: None,
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

    /// The next fire time of each route; for singletons, whether the broker holding their
    /// leases answers.
    fn check<'a>(&'a self, app: &'a App) -> CheckFuture<'a> {
        let _ = app;
        let now = Utc::now();
        Box::pin(async move {
            let reached = match &self.leases {
                Some(leases) => Some((leases.check)().await),
                None => None,
            };
            let line = |r: &Prepared| {
                let mut line = r.check(now);
                if let (Some(name), Some(reached)) = (&r.lease_name, &reached) {
                    match reached {
                        Ok(()) => line
                            .line
                            .push_str(&format!("; lease {name}: broker reachable")),
                        Err(e) => {
                            line.ok = false;
                            line.line.push_str(&format!("; lease {name}: {e}"));
                        }
                    }
                }
                line
            };
            self.routes.iter().map(line).collect()
        })
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
            let leases = self.leases.map(|l| tokio::spawn((l.run)(stop.clone())));
            for route in self.routes {
                tickers.spawn(tick(route, app.clone(), stop.clone(), deadline));
            }
            while tickers.join_next().await.is_some() {}
            // After the tickers: no run starts once a lease is given up.
            if let Some(leases) = leases {
                let _ = leases.await;
            }
            Ok(())
        })
    }
}
