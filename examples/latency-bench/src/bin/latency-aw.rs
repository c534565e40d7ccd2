//! Our worker for `scripts/bench-latency.sh`: the `bench` route takes each body as it is and
//! records its latency in the handler. `BENCH_BULK`, `BENCH_FLUSH_MS`, `BENCH_PREFETCH`,
//! `BENCH_QUEUE` and `AMQP_URL` become the route's overrides exactly as for `bench-consumer`;
//! `BENCH_LABEL` names the line.

use std::process::ExitCode;
use std::sync::LazyLock;

use asyncworker::prelude::*;
use latency_bench::{Recorder, Stamp};

static RECORDER: LazyLock<Recorder> = LazyLock::new(|| Recorder::from_env("asyncworker"));

/// Records when each message of the bulk reached the handler.
#[route(amqp = ["bench"], name = "bench")]
async fn bench(messages: Vec<Message<bytes::Bytes>>) {
    for message in &messages {
        RECORDER.record(Stamp::from_lapin(message.headers()));
    }
}

fn main() -> ExitCode {
    LazyLock::force(&RECORDER);
    bench_consumer::main()
}
