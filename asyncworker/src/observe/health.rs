//! Liveness and readiness of the worker's parts, as `/health/ready` reports them.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::checks::Checks;

/// Why something the parts depend on is failing (a connection's last error), while it fails.
pub(crate) type Reason = Arc<Mutex<Option<String>>>;

/// The readiness of every registered part: startup, each consumer, each stream, and the
/// user's own [checks](Health::check).
#[derive(Debug, Default)]
pub struct Health {
    started: AtomicBool,
    parts: Mutex<Vec<(String, Arc<AtomicBool>)>>,
    reasons: Mutex<Vec<(String, Reason)>>,
    /// `singleton = true` routes, each with whether this replica holds its lease.
    singletons: Mutex<Vec<(String, Arc<AtomicBool>)>>,
    checks: Checks,
}

impl Health {
    /// Adds a readiness check of your own (a database, a downstream API) under `name`:
    /// `/health/ready` answers 503 while it fails, listing `check <name>` under `not_ready`
    /// and its error under `reasons`. Register it in a startup hook, next to the client it
    /// checks; a second check of the same name replaces the first.
    ///
    /// The checks run concurrently when readiness is asked, each within 2 s (a check that has
    /// not answered by then fails, and so does one that panics), and their results answer the
    /// probes of the next second without running them again. `--check`
    /// ([`Worker::check`](crate::Worker::check)) runs the startup hooks, then each check once,
    /// without the cache, as one `ok   check <name>` or `FAIL check <name>: <error>` item.
    ///
    /// ```
    /// use asyncworker::prelude::*;
    ///
    /// #[derive(Clone)]
    /// struct Db;
    /// impl Db {
    ///     async fn ping(&self) -> Result<(), std::io::Error> { Ok(()) }
    /// }
    ///
    /// #[on_startup]
    /// async fn connect(app: &App) -> Result<(), asyncworker::StateError> {
    ///     let db = Db;
    ///     app.health().check("postgres", {
    ///         let db = db.clone();
    ///         move || {
    ///             let db = db.clone();
    ///             async move { db.ping().await }
    ///         }
    ///     });
    ///     app.insert(db)
    /// }
    /// # fn main() {}
    /// ```
    pub fn check<F, Fut, E>(&self, name: impl Into<String>, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display,
    {
        self.checks.add(name.into(), check);
    }

    /// The failing [checks](Health::check), by name, with why; empty when none fails. Runs
    /// them unless their last results are younger than a second.
    pub async fn failing_checks(&self) -> BTreeMap<String, String> {
        self.checks.failing().await
    }

    /// Runs every [check](Health::check) now, bypassing the cache, each within the usual
    /// timeout: every one's outcome, for `--check`.
    pub(crate) async fn run_checks(&self) -> Vec<(String, Result<(), String>)> {
        self.checks.run_all(super::checks::CHECK_TIMEOUT).await
    }

    /// Registers a part (e.g. `amqp drain orders`), not ready until its flag is set.
    pub(crate) fn register(&self, name: String) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.parts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, Arc::clone(&flag)));
        flag
    }

    /// Registers what `name` (e.g. a broker connection) reports while it fails, so that
    /// readiness says why its parts are not ready (a refused connection, a TLS handshake).
    pub(crate) fn register_reason(&self, name: String, reason: Reason) {
        self.reasons
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, reason));
    }

    /// Records why the part `part` last failed to become ready (an SSE stream's refused
    /// handshake, say), or forgets it (`None`).
    pub(crate) fn set_reason(&self, part: &str, reason: Option<String>) {
        let mut reasons = crate::sync::lock(&self.reasons);
        match reasons.iter().find(|(name, _)| name == part) {
            Some((_, r)) => *crate::sync::lock(r) = reason,
            None => reasons.push((part.to_owned(), Arc::new(Mutex::new(reason)))),
        }
    }

    /// What is failing right now, by name, with its reason; empty when nothing is. A reason
    /// given for a part counts only while that part is not ready.
    pub fn reasons(&self) -> BTreeMap<String, String> {
        let ready: Vec<String> = {
            let parts = crate::sync::lock(&self.parts);
            parts
                .iter()
                .filter(|(_, ready)| ready.load(Ordering::Acquire))
                .map(|(name, _)| name.clone())
                .collect()
        };
        let reasons = crate::sync::lock(&self.reasons);
        reasons
            .iter()
            .filter(|(name, _)| !ready.contains(name))
            .filter_map(|(name, r)| {
                let r = crate::sync::lock(r);
                r.clone().map(|r| (name.clone(), r))
            })
            .collect()
    }

    /// Registers a `singleton = true` route, whose role [`singletons`](Health::singletons)
    /// shows: `leader` while `leader` is set, else `standby`.
    pub(crate) fn register_singleton(&self, route: String, leader: Arc<AtomicBool>) {
        self.singletons
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((route, leader));
    }

    /// Per `singleton = true` route, this replica's role: `leader` (it holds the lease and
    /// fires) or `standby` (another replica does, or none yet). Standing by is no failure:
    /// readiness does not depend on it.
    pub fn singletons(&self) -> BTreeMap<String, &'static str> {
        let singletons = crate::sync::lock(&self.singletons);
        singletons
            .iter()
            .map(|(route, leader)| {
                let role = if leader.load(Ordering::Acquire) {
                    "leader"
                } else {
                    "standby"
                };
                (route.clone(), role)
            })
            .collect()
    }

    pub(crate) fn set_started(&self, started: bool) {
        self.started.store(started, Ordering::Release);
    }

    /// Whether startup hooks are done.
    pub fn started(&self) -> bool {
        self.started.load(Ordering::Acquire)
    }

    /// Names of the parts that are not ready; empty when the worker is ready.
    pub fn not_ready(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.started() {
            out.push("startup".to_owned());
        }
        let parts = crate::sync::lock(&self.parts);
        out.extend(
            parts
                .iter()
                .filter(|(_, ready)| !ready.load(Ordering::Acquire))
                .map(|(name, _)| name.clone()),
        );
        out
    }

    /// Startup is done and every part is ready.
    pub fn is_ready(&self) -> bool {
        self.not_ready().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_when_started_and_every_part_is() {
        let h = Health::default();
        let a = h.register("amqp drain orders".into());
        assert_eq!(h.not_ready(), ["startup", "amqp drain orders"]);
        h.set_started(true);
        assert!(!h.is_ready());
        a.store(true, Ordering::Release);
        assert!(h.is_ready());
    }

    #[test]
    fn singletons_show_their_role() {
        let h = Health::default();
        assert!(h.singletons().is_empty());
        let leader = Arc::new(AtomicBool::new(false));
        h.register_singleton("report".into(), Arc::clone(&leader));
        assert_eq!(h.singletons()["report"], "standby");
        leader.store(true, Ordering::Release);
        assert_eq!(h.singletons()["report"], "leader");
        h.set_started(true);
        assert!(h.is_ready(), "a role is no readiness part");
    }

    #[test]
    fn reasons_only_while_set() {
        let h = Health::default();
        let reason = Reason::default();
        h.register_reason("amqp asyncworker default".into(), Arc::clone(&reason));
        assert!(h.reasons().is_empty());
        *reason.lock().unwrap() = Some("localhost:5671: UnknownIssuer".into());
        assert_eq!(
            h.reasons().into_iter().collect::<Vec<_>>(),
            [(
                "amqp asyncworker default".to_owned(),
                "localhost:5671: UnknownIssuer".to_owned()
            )]
        );
        *reason.lock().unwrap() = None;
        assert!(h.reasons().is_empty());
    }

    #[test]
    fn reasons_of_the_parts_not_ready() {
        let h = Health::default();
        let a = h.register("sse s /a".into());
        h.set_reason(
            "sse s /a",
            Some("invalid peer certificate: UnknownIssuer".into()),
        );
        assert_eq!(
            h.reasons().into_iter().collect::<Vec<_>>(),
            [(
                "sse s /a".to_owned(),
                "invalid peer certificate: UnknownIssuer".to_owned()
            )]
        );
        a.store(true, Ordering::Release);
        assert!(
            h.reasons().is_empty(),
            "a ready part has no reason to report"
        );
        h.set_reason("sse s /a", None);
        a.store(false, Ordering::Release);
        assert!(h.reasons().is_empty());
    }
}
