//! A worker with an AMQP route and an HTTP route, for the `--only` tests. The queue is
//! `jobs` behind `ASYNCWORKER_AMQP_QUEUE_PREFIX`; each handled message prints `HANDLED <id>`.

use asyncworker::prelude::*;
use asyncworker_tests::Job;

#[route(amqp = ["jobs"], bulk_size = 10, bulk_flush = "100ms")]
async fn jobs(messages: Vec<Message<Job>>) {
    for m in &messages {
        println!("HANDLED {}", m.body().id);
    }
}

#[route(http = ["/"])]
async fn hello() -> &'static str {
    "hello"
}

asyncworker::main!();
