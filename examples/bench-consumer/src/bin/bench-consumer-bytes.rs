//! `bench-consumer` with a `Message<Bytes>` route: each body is taken as it is (no decoding),
//! for the JSON-vs-bytes comparison of `scripts/bench-amqp.sh` (`BODIES=1`).

use std::process::ExitCode;

use asyncworker::prelude::*;

/// Takes any body as it is and drops it: the cost measured is the framework's, without decoding.
#[route(amqp = ["bench"], name = "bench", bulk_flush = "20ms")]
async fn bench(_messages: Vec<Message<bytes::Bytes>>) {}

fn main() -> ExitCode {
    bench_consumer::main()
}
