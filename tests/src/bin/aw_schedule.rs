//! A worker with scheduled jobs, an HTTP route and a startup hook, for the run-mode tests
//! (`--only schedule`, `--routes`, systemd notification). Every run of `tick` (every 100 ms)
//! prints `TICK <n>`; the startup hook prints `HOOK RAN started`. Needs no broker.

use std::sync::atomic::{AtomicU64, Ordering};

use asyncworker::prelude::*;

static TICKS: AtomicU64 = AtomicU64::new(0);

#[route(every = "100ms")]
async fn tick() {
    let n = TICKS.fetch_add(1, Ordering::Relaxed) + 1;
    println!("TICK {n}");
}

/// Daily at 03:00 UTC: never due while a test runs, listed with its options.
#[route(
    cron = "0 0 3 * * *",
    name = "nightly-report",
    max_concurrency = 2,
    timeout = "5m"
)]
async fn report(_app: App) {
    println!("REPORT");
}

#[route(http = ["/"])]
async fn hello() -> &'static str {
    "hello"
}

#[on_startup]
async fn started(_app: &App) {
    println!("HOOK RAN started");
}

asyncworker::main!();
