//! A worker with one `singleton = true` schedule, for `tests/schedule_singleton.rs`: each run
//! of `tick` (every second, on the lease holder only) prints `RUN <pid> <run key>`. Replicas
//! share a lease through `ASYNCWORKER_APP_NAME` and the broker of `ASYNCWORKER_AMQP_URL`.

use asyncworker::prelude::*;

#[route(every = "1s", singleton = true)]
async fn tick(key: RunKey) {
    // One line per run, flushed at its newline: a killed replica's runs are all read.
    println!("RUN {} {key}", std::process::id());
}

asyncworker::main!();
