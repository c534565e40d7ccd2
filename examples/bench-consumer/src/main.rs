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

use asyncworker::prelude::*;

/// Accepts any JSON body and drops it: the cost measured is the framework's.
#[route(amqp = ["bench"], name = "bench", bulk_flush = "20ms")]
async fn bench(_messages: Vec<Message<serde::de::IgnoredAny>>) {}

fn main() -> ExitCode {
    bench_consumer::main()
}
