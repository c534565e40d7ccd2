//! A worker for the cluster failover tests (`amqp_cluster`): two routes on two quorum queues,
//! `one` and `two` (declared), prefetch 20 each. Each handler prints `seen <queue> <id>` before
//! it returns, so the line is out before the ack: a message whose ack is lost with its node is
//! printed twice, never zero times. Settings come from the environment
//! (`ASYNCWORKER_AMQP_URL` with the cluster's three URLs, `ASYNCWORKER_HTTP_PORT` for
//! `/health/ready`).

use std::io::Write;

use asyncworker::prelude::*;
use asyncworker_tests::Job;

/// Printed and flushed before returning (stdout is a pipe here).
fn seen(queue: &str, id: u64) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "seen {queue} {id}");
    let _ = out.flush();
}

#[route(amqp = ["one"], declare = true, queue_type = "quorum", prefetch = 20)]
async fn one(m: Message<Job>) {
    seen("one", m.body().id);
}

#[route(amqp = ["two"], declare = true, queue_type = "quorum", prefetch = 20)]
async fn two(m: Message<Job>) {
    seen("two", m.body().id);
}

asyncworker::main!();
