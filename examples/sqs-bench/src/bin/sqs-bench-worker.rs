//! The asyncworker side of the SQS drain benchmark: one route on the queues of
//! `ASYNCWORKER_ROUTE_DRAIN_QUEUES`, bulks of `ASYNCWORKER_ROUTE_DRAIN_BULK_SIZE`; once it has
//! handled `BENCH_N` messages it shuts down (gracefully: every one deleted) and prints
//! `RESULT handled=<n> seconds=<s> msgs_per_s=<r>`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use asyncworker::prelude::*;

static HANDLED: AtomicU64 = AtomicU64::new(0);
static START: OnceLock<Instant> = OnceLock::new();

fn target() -> u64 {
    std::env::var("BENCH_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000)
}

#[on_startup]
async fn start(_app: &App) {
    START.get_or_init(Instant::now);
}

#[route(sqs = ["bench"], bulk_size = 10, bulk_flush = "100ms", concurrency = 4, wait_time = "1s")]
async fn drain(app: App, messages: Vec<SqsMessage<serde::de::IgnoredAny>>) {
    let n = HANDLED.fetch_add(messages.len() as u64, Ordering::Relaxed) + messages.len() as u64;
    if n >= target() {
        app.shutdown();
    }
}

#[on_shutdown]
async fn report(_app: &App) {
    let seconds = START.get().map_or(0.0, |s| s.elapsed().as_secs_f64());
    let n = HANDLED.load(Ordering::Relaxed);
    println!(
        "RESULT handled={n} seconds={seconds:.2} msgs_per_s={:.0}",
        n as f64 / seconds
    );
}

asyncworker::main!();
