//! A worker for the single-active-consumer test: one route on `ordered` (behind
//! `ASYNCWORKER_AMQP_QUEUE_PREFIX`), a quorum queue it declares with `single_active = true`,
//! bulk 1 and concurrency 1 (the defaults: what keeps the queue's order), handling each message
//! in 2 ms and printing `seen <id> <unix micros>` before returning, so that the lines of
//! several replicas can be merged in time order and a handover can be caught mid-stream.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use asyncworker::prelude::*;
use asyncworker_tests::Job;

#[route(amqp = ["ordered"], declare = true, queue_type = "quorum", single_active = true)]
async fn ordered(message: Message<Job>) {
    tokio::time::sleep(Duration::from_millis(2)).await;
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    println!("seen {} {micros}", message.body().id);
}

asyncworker::main!();
