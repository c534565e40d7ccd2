//! A worker for the `--routes` / `--help` tests. Its hooks print a line if they ever run,
//! which `--routes` must not do.

use asyncworker::prelude::*;
use asyncworker_tests::Job;

#[route(amqp = ["orders", "orders.priority"], bulk_size = 50, bulk_flush = "250ms")]
async fn drain_orders(messages: Vec<Message<Job>>) {
    println!("HANDLED {}", messages.len());
}

#[route(amqp = ["audit"], name = "audit-log")]
async fn audit(message: Message<Job>) {
    println!("HANDLED {}", message.body().id);
}

#[on_startup(order = -1)]
async fn warm_cache(_app: &App) {
    println!("HOOK RAN warm_cache");
}

#[on_shutdown]
async fn flush_metrics(_app: &App) {
    println!("HOOK RAN flush_metrics");
}

asyncworker::main!();
