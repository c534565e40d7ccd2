//! `--check`: every backend's verification under one deadline, and the report it prints.

use std::fmt;
use std::time::Duration;

use crate::app::App;
use crate::backend::{Backend, CheckLine};

/// How long `--check` waits for the backends, all together.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// Every backend's check, bounded by [`CHECK_TIMEOUT`], as the report `--check` prints.
pub(super) async fn report(backends: &[Box<dyn Backend>], app: &App) -> CheckReport {
    CheckReport {
        items: run_checks(backends, app, CHECK_TIMEOUT).await,
    }
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

/// What [`Worker::check`](crate::Worker::check) found: one item per route or part of a backend, in the order
/// amqp, http, sse, schedule.
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
    /// The backend: `"amqp"`, `"http"`, `"sse"` or `"schedule"`.
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
