//! The two forms of the brief's example: `main!(shutdown_timeout = "10s", amqp_prefetch = 256)`.

use asyncworker::prelude::*;

#[route(amqp = ["main.short"])]
async fn handle(message: Message<u32>) {
    let _ = message;
}

#[on_startup(order = 2147483647)]
async fn exit_before_connecting(_app: &App) {
    std::process::exit(0);
}

asyncworker::main!(shutdown_timeout = "10s", amqp_prefetch = 256);
