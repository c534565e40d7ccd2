//! `--check`: the startup hooks, then every backend's verification and the user's readiness
//! checks under one deadline, then the shutdown hooks; and the report it prints.

use std::fmt;
use std::time::Duration;

use super::error::WorkerError;
use super::worker::{run_shutdown_hooks, start};
use crate::app::App;
use crate::backend::{Backend, CheckLine, StateNeed};
use crate::hooks::Hooks;

/// How long `--check` waits for the startup hooks, then for the backends and the readiness
/// checks, all together.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// What `--check` does once the backends are prepared: the startup hooks, as a real start
/// runs them (a failure is an item, and the checks still run: they report what they can),
/// then every backend's check and every readiness check the hooks registered, bounded by
/// [`CHECK_TIMEOUT`], then the shutdown hooks.
pub(super) async fn report(
    registry: &Hooks,
    backends: &[Box<dyn Backend>],
    app: &App,
) -> CheckReport {
    // Taken now: the backends are not `Sync`, so they cannot be borrowed across the hooks.
    let needs: Vec<StateNeed> = backends.iter().flat_map(|b| b.required_state()).collect();
    let mut items: Vec<CheckItem> = startup(registry, app, needs).await.into_iter().collect();
    let deadline = tokio::time::Instant::now() + CHECK_TIMEOUT;
    let (found, readiness) = futures_util::future::join(
        run_checks(backends, app, CHECK_TIMEOUT),
        tokio::time::timeout_at(deadline, app.health().run_checks()),
    )
    .await;
    items.extend(found);
    items.extend(readiness_items(readiness.ok()));
    run_shutdown_hooks(registry, app, app.settings().shutdown_timeout).await;
    CheckReport { items }
}

/// The startup hooks in order, bounded by [`CHECK_TIMEOUT`]; a failure (a hook's error, a
/// state no hook inserted, a hook that does not finish) is one failed item.
async fn startup(registry: &Hooks, app: &App, needs: Vec<StateNeed>) -> Option<CheckItem> {
    let line = match tokio::time::timeout(CHECK_TIMEOUT, start(registry, app, needs)).await {
        Ok(Ok(())) => return None,
        Ok(Err(WorkerError::Startup { hook, error, .. })) => {
            format!("startup hook {hook}: {error}")
        }
        Ok(Err(e)) => format!("startup: {e}"),
        Err(_) => format!("startup hooks: not done within {CHECK_TIMEOUT:?}; abandoned"),
    };
    Some(CheckItem {
        kind: "startup",
        ok: false,
        line,
    })
}

/// One item per readiness check (`check postgres`), or one failed item when they had not all
/// answered by the deadline (each has its own, shorter, timeout: this is a backstop).
fn readiness_items(outcomes: Option<Vec<(String, Result<(), String>)>>) -> Vec<CheckItem> {
    let Some(outcomes) = outcomes else {
        return vec![CheckItem {
            kind: "check",
            ok: false,
            line: format!("check: no answer within {CHECK_TIMEOUT:?}"),
        }];
    };
    outcomes
        .into_iter()
        .map(|(name, outcome)| CheckItem {
            kind: "check",
            ok: outcome.is_ok(),
            line: match outcome {
                Ok(()) => format!("check {name}"),
                Err(why) => format!("check {name}: {why}"),
            },
        })
        .collect()
}

/// Every backend's check, run concurrently under one deadline; a backend that has not
/// answered by then is one failed item, so that an unreachable service cannot hang `--check`.
pub(super) async fn run_checks(
    backends: &[Box<dyn Backend>],
    app: &App,
    limit: Duration,
) -> Vec<CheckItem> {
    let deadline = tokio::time::Instant::now() + limit;
    let checks = backends.iter().map(|backend| async move {
        let kind = backend.kind();
        match tokio::time::timeout_at(deadline, backend.check(app)).await {
            Ok(lines) => lines
                .into_iter()
                .map(|CheckLine { ok, line }| CheckItem { kind, ok, line })
                .collect(),
            Err(_) => vec![CheckItem {
                kind,
                ok: false,
                line: format!("{kind}: no answer within {limit:?}; the check was abandoned"),
            }],
        }
    });
    futures_util::future::join_all(checks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// What [`Worker::check`](crate::Worker::check) found: a failed startup hook first if one
/// failed, then one item per route or part of a backend, in the order amqp, http, sse,
/// schedule, then one per readiness check ([`Health::check`](crate::observe::Health::check)).
///
/// Its `Display` is what `--check` prints: one `ok   <line>` or `FAIL <line>` per item, then
/// `check: N ok, M failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub(super) items: Vec<CheckItem>,
}

impl CheckReport {
    /// Every item, in order.
    pub fn items(&self) -> &[CheckItem] {
        &self.items
    }

    /// Whether every item is ok.
    pub fn is_ok(&self) -> bool {
        self.items.iter().all(|i| i.ok)
    }

    /// How many items are ok.
    pub fn passed(&self) -> usize {
        self.items.iter().filter(|i| i.ok).count()
    }

    /// How many items failed.
    pub fn failed(&self) -> usize {
        self.items.len() - self.passed()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            writeln!(f, "{item}")?;
        }
        writeln!(f, "check: {} ok, {} failed", self.passed(), self.failed())
    }
}

/// One verified part of a worker: a route, or a backend as a whole (the HTTP server).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckItem {
    /// The backend: `"amqp"`, `"http"`, `"sse"` or `"schedule"`; `"check"` for a readiness
    /// check, `"startup"` for a failed startup hook.
    pub kind: &'static str,
    /// Whether this part would work.
    pub ok: bool,
    /// What was checked and found, e.g. `http server: 127.0.0.1:8080 can be bound (2 routes)`.
    pub line: String,
}

impl fmt::Display for CheckItem {
    /// `ok   <line>` or `FAIL <line>`: the status words are padded to one width so that the
    /// lines align.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "{status} {}", self.line)
    }
}
