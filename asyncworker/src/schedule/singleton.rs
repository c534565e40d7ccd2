//! `singleton = true`: a route fires only on the replica holding its lease. This side knows no
//! broker: a [`Lease`] says whether the lease is held, and the backend that grants leases (the
//! AMQP one, with an exclusive queue) drives its [`LeaseHolder`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::future::BoxFuture;
use crate::observe::metrics::RouteLabels;

/// What the ticker of a singleton route asks at each tick: is the lease held right now?
pub(crate) struct Lease {
    /// Until when the lease counts as held, as last confirmed; `None` while not held.
    held: watch::Receiver<Option<Instant>>,
}

impl Lease {
    /// Whether this replica holds the lease at this instant: held, and confirmed recently
    /// enough. A process that was frozen past its last confirmation does not fire on waking
    /// before the granting backend has confirmed the lease again.
    pub(crate) fn held(&self) -> bool {
        self.held
            .borrow()
            .is_some_and(|until| Instant::now() < until)
    }
}

/// What the granting backend drives for one route: whether the lease is held, whether the
/// broker can be reached. Each change shows at once in the ticker, the
/// `asyncworker_schedule_leader` gauge and readiness.
pub(crate) struct LeaseHolder {
    route: &'static str,
    /// The lease's name on the broker: `asyncworker.lease.<app>.<route>`.
    pub(crate) name: String,
    held: watch::Sender<Option<Instant>>,
    leader: Arc<AtomicBool>,
    gauge: Gauge,
    /// Readiness: set while the broker answers (leader or standby alike).
    reachable: Arc<AtomicBool>,
}

impl LeaseHolder {
    /// The readiness part of this lease, under which the granting backend reports why the
    /// broker cannot be reached.
    pub(crate) fn part(&self) -> String {
        part(self.route)
    }

    /// Records that the lease is held (just confirmed) until `until`, at the latest: the
    /// backend confirms it again before then, or it counts as lost.
    pub(crate) fn hold_until(&self, until: Instant) {
        self.set(Some(until));
    }

    /// Records that the lease is not held (lost, refused or released).
    pub(crate) fn release(&self) {
        self.set(None);
    }

    /// Records the new state; a change of role is logged.
    fn set(&self, until: Option<Instant>) {
        let held = until.is_some();
        let changed = self.held.send_replace(until).is_some() != held;
        self.leader.store(held, Ordering::Release);
        self.gauge.set(i64::from(held));
        if changed && held {
            tracing::info!(route = self.route, lease = %self.name, "singleton: this replica holds the lease and fires");
        } else if changed {
            tracing::info!(route = self.route, lease = %self.name, "singleton: lease lost or released; standing by");
        }
    }

    /// Records whether the broker answers (the route is ready) or not.
    pub(crate) fn set_reachable(&self, reachable: bool) {
        self.reachable.store(reachable, Ordering::Release);
    }
}

/// The lease of `route`, named `name`, not held yet: the ticker's end and the granting
/// backend's. Registers the route's role, gauge and readiness part.
pub(crate) fn lease(app: &App, route: &'static str, name: String) -> (Lease, LeaseHolder) {
    let (tx, rx) = watch::channel(None);
    let leader = Arc::new(AtomicBool::new(false));
    app.health()
        .register_singleton(route.to_owned(), Arc::clone(&leader));
    let gauge = app
        .metrics()
        .schedule_leader
        .get_or_create(&RouteLabels {
            route: route.to_owned(),
        })
        .clone();
    gauge.set(0);
    let reachable = app.health().register(part(route));
    let holder = LeaseHolder {
        route,
        name,
        held: tx,
        leader,
        gauge,
        reachable,
    };
    (Lease { held: rx }, holder)
}

/// The readiness part of `route`'s lease.
fn part(route: &str) -> String {
    format!("schedule lease {route}")
}

/// What every lease name starts with.
pub(crate) const LEASE_PREFIX: &str = "asyncworker.lease.";

/// The name of `route`'s lease among the replicas of `app_name`.
pub(crate) fn lease_name(app_name: &str, route: &str) -> String {
    format!("{LEASE_PREFIX}{app_name}.{route}")
}

/// The longest lease name the broker takes (a queue name: 255 bytes).
pub(crate) const LEASE_NAME_MAX: usize = 255;

/// What the backend granting the leases hands the schedule backend.
pub(crate) struct Leases {
    /// `--check`: whether the broker holding the leases can be reached (one attempt per URL).
    pub(crate) check: Box<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>,
    /// The tasks holding the leases, started with the schedule backend and ended by `stop`.
    pub(crate) run: Box<dyn FnOnce(CancellationToken) -> BoxFuture<'static, ()> + Send + Sync>,
}
