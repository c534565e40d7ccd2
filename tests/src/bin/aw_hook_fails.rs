//! A worker whose startup hook fails: it must exit 1 without consuming anything.

use asyncworker::prelude::*;
use asyncworker_tests::Job;

#[route(amqp = ["q"], bulk_size = 5, bulk_flush = "100ms")]
async fn consume(messages: Vec<Message<Job>>) {
    for m in &messages {
        println!("HANDLED {}", m.body().id);
    }
}

#[on_startup]
async fn open_database(_app: &App) -> Result<(), String> {
    Err("database is unreachable".to_owned())
}

#[on_shutdown]
async fn close_database(_app: &App) {
    println!("SHUTDOWN HOOK close_database");
}

asyncworker::main!();
