//! A worker for the signal tests: each bulk is held for `AW_HOLD_MS` milliseconds (default
//! 1000). Prints `BEGIN <n>` when a bulk reaches the handler and `HANDLED <id>` per message
//! once the hold is over, one per line on stdout.

use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::Job;

#[route(amqp = ["q"], bulk_size = 10, bulk_flush = "1h")]
async fn hold(messages: Vec<Message<Job>>) {
    let ms = std::env::var("AW_HOLD_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    println!("BEGIN {}", messages.len());
    tokio::time::sleep(Duration::from_millis(ms)).await;
    for m in &messages {
        println!("HANDLED {}", m.body().id);
    }
}

asyncworker::main!();
