//! Consumes `BENCH_QUEUE` from `AMQP_URL` and does no work, for `../shared/bench/amqp-drain.sh`.
//!
//! `BENCH_BULK` (default 1), `BENCH_PREFETCH` (default: asyncworker's) and `BENCH_FLUSH_MS`
//! (default 20) become overrides of the `bench` route, so the binary measures exactly what a
//! user's `#[route(amqp = [...], bulk_size = N, prefetch = P)]` would do.
//!
//! ```sh
//! cargo build --release -p bench-consumer
//! cd ../shared/bench
//! BENCH_PREFETCH=1024 BENCH_BULK=100 ./amqp-drain.sh 200000 persistent --label aw-bulk100 -- \
//!     "$OLDPWD/target/release/bench-consumer"
//! ```

use std::process::ExitCode;
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker::settings::RouteOverride;
use asyncworker::{MainOptions, Settings};

/// Accepts any JSON body and drops it: the cost measured is the framework's.
#[route(amqp = ["bench"], name = "bench", bulk_flush = "20ms")]
async fn bench(_messages: Vec<Message<serde::de::IgnoredAny>>) {}

fn env_u16(name: &str) -> Option<u16> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn main() -> ExitCode {
    let mut options = MainOptions::DEFAULT;
    options.log = Some("warn");
    let mut settings = match Settings::from_env(&options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(url) = std::env::var("AMQP_URL") {
        settings.amqp_urls = vec![url];
    }
    // The built-in endpoints stay on (their cost is part of the measure) on any free port,
    // so runs never collide on 8080.
    settings.http_port = 0;
    let route = RouteOverride {
        queues: Some(vec![
            std::env::var("BENCH_QUEUE").unwrap_or_else(|_| "bench".into()),
        ]),
        bulk_size: env_u16("BENCH_BULK"),
        prefetch: env_u16("BENCH_PREFETCH"),
        bulk_flush: Some(Duration::from_millis(
            env_u16("BENCH_FLUSH_MS").map_or(20, u64::from),
        )),
        ..RouteOverride::default()
    };
    settings.routes.insert("bench".into(), route);
    asyncworker::run_with(settings)
}
