//! A worker for the `--drain` tests: an AMQP route on `jobs` (behind
//! `ASYNCWORKER_AMQP_QUEUE_PREFIX`) with bulks of up to 100 flushed after 500 ms, printing
//! `HANDLED <id>` per message and `BULK <size>` per call; a route on `flaky` (declared) that
//! fails every first attempt, so each message waits 1 s in `flaky.retry`, and prints
//! `FLAKY <id>` once it succeeds; a schedule printing `TICK` (which `--drain` does not start);
//! and a shutdown hook printing `SHUTDOWN HOOK`.

use asyncworker::prelude::*;
use asyncworker_tests::Job;

#[route(amqp = ["jobs"], bulk_size = 100, bulk_flush = "500ms")]
async fn jobs(messages: Vec<Message<Job>>) {
    println!("BULK {}", messages.len());
    for m in &messages {
        println!("HANDLED {}", m.body().id);
    }
}

#[route(amqp = ["flaky"], bulk_size = 10, bulk_flush = "100ms", retries = 5, retry_delay = "1s", declare = true)]
async fn flaky(messages: Vec<Message<Job>>) -> anyhow::Result<()> {
    if messages.iter().any(|m| m.attempt() == 1) {
        anyhow::bail!("every first attempt fails");
    }
    for m in &messages {
        println!("FLAKY {}", m.body().id);
    }
    Ok(())
}

#[route(every = "50ms", immediately = true)]
async fn tick() {
    println!("TICK");
}

#[on_shutdown]
async fn bye(_app: &App) {
    println!("SHUTDOWN HOOK");
}

asyncworker::main!();
