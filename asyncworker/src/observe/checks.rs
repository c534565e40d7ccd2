//! The user's own readiness checks (a database, a downstream API): registered by name, run
//! concurrently under one timeout when readiness is asked, their results kept briefly so that a
//! storm of probes does not become a storm of queries.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::time::Instant;

use crate::future::BoxFuture;

/// How long one round of checks may take; a check that has not answered by then fails.
pub(crate) const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a round's results answer readiness probes before the checks run again.
pub(crate) const CHECK_CACHE: Duration = Duration::from_secs(1);

/// One check, type-erased: `Err` carries why it fails.
type CheckFn = dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync;

/// The registered checks and the results of their last round.
#[derive(Default)]
pub(crate) struct Checks {
    registered: Mutex<Vec<(String, Arc<CheckFn>)>>,
    /// When the last round ended and what failed in it; a lock held across a round, so that
    /// probes arriving meanwhile wait for its results instead of starting their own.
    last: tokio::sync::Mutex<Option<(Instant, BTreeMap<String, String>)>>,
}

impl Checks {
    /// Adds `check` under `name`, replacing a check of that name.
    pub(crate) fn add<F, Fut, E>(&self, name: String, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display,
    {
        let erased: Arc<CheckFn> = Arc::new(move || {
            let fut = check();
            Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
        });
        let mut registered = crate::sync::lock(&self.registered);
        registered.retain(|(n, _)| *n != name);
        registered.push((name, erased));
        // A new check counts from the next probe on.
        if let Ok(mut last) = self.last.try_lock() {
            *last = None;
        }
    }

    /// Whether any check is registered.
    pub(crate) fn is_empty(&self) -> bool {
        self.registered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// The failing checks, by name, with why: from the last round while it is younger than
    /// [`CHECK_CACHE`], else from a new one.
    pub(crate) async fn failing(&self) -> BTreeMap<String, String> {
        if self.is_empty() {
            return BTreeMap::new();
        }
        let mut last = self.last.lock().await;
        if let Some((at, failing)) = &*last
            && at.elapsed() < CHECK_CACHE
        {
            return failing.clone();
        }
        let failing = self.run(CHECK_TIMEOUT).await;
        *last = Some((Instant::now(), failing.clone()));
        failing
    }

    /// Runs every check now, concurrently, each bounded by `limit`; a panic is a failure.
    pub(crate) async fn run(&self, limit: Duration) -> BTreeMap<String, String> {
        self.run_all(limit)
            .await
            .into_iter()
            .filter_map(|(name, outcome)| outcome.err().map(|why| (name, why)))
            .collect()
    }

    /// Runs every check now, as [`Checks::run`], and gives each one's outcome, in the order
    /// they were registered: what `--check` reports, passing ones included.
    pub(crate) async fn run_all(&self, limit: Duration) -> Vec<(String, Result<(), String>)> {
        let checks = self
            .registered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let runs = checks.into_iter().map(|(name, check)| async move {
            let outcome = tokio::time::timeout(limit, AssertUnwindSafe(check()).catch_unwind());
            let outcome = match outcome.await {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => Err(format!("panicked: {}", panic_text(&*panic))),
                Err(_) => Err(format!("no answer within {limit:?}")),
            };
            (name, outcome)
        });
        futures_util::future::join_all(runs).await
    }
}

/// A panic's message, when it is text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let registered = crate::sync::lock(&self.registered);
        let names: Vec<&str> = registered.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Checks").field("names", &names).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn failing_ones_are_named_and_results_are_kept_for_a_second() {
        let checks = Checks::default();
        let up = Arc::new(AtomicBool::new(false));
        let runs = Arc::new(AtomicU32::new(0));
        let (u, r) = (Arc::clone(&up), Arc::clone(&runs));
        checks.add("postgres".into(), move || {
            let (up, runs) = (u.load(Ordering::SeqCst), Arc::clone(&r));
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                if up {
                    Ok(())
                } else {
                    Err("connection refused")
                }
            }
        });
        checks.add("ok".into(), || async { Ok::<(), String>(()) });
        let failing = checks.failing().await;
        assert_eq!(
            failing.into_iter().collect::<Vec<_>>(),
            [("postgres".to_owned(), "connection refused".to_owned())]
        );
        up.store(true, Ordering::SeqCst);
        // Within the cache: the same answer, without running the check.
        assert_eq!(checks.failing().await.len(), 1);
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        tokio::time::advance(CHECK_CACHE).await;
        assert!(checks.failing().await.is_empty());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_check_fails_at_the_timeout_and_a_panicking_one_fails() {
        let checks = Checks::default();
        checks.add("hangs".into(), || async {
            std::future::pending::<Result<(), String>>().await
        });
        checks.add("panics".into(), || async {
            if true {
                panic!("pool poisoned");
            }
            Ok::<(), String>(())
        });
        let failing = checks.failing().await;
        assert_eq!(failing["hangs"], "no answer within 2s");
        assert_eq!(failing["panics"], "panicked: pool poisoned");
    }
}
