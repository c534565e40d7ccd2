//! Several routes and hooks in one module: the generated items must not collide.

use asyncworker::prelude::*;

#[route(amqp = ["two.a"], bulk_size = 10)]
async fn first(messages: Vec<Message<u32>>) {
    let _ = messages;
}

#[route(amqp = ["two.b", "two.c"], bulk_size = 10)]
async fn second(messages: Vec<Message<u32>>) {
    let _ = messages;
}

#[route(amqp = ["two.d"], name = "third-route")]
async fn third(message: Message<u32>) {
    let _ = message;
}

#[on_startup]
async fn start_a(_app: &App) {}

#[on_startup]
async fn start_b(_app: &App) {}

#[on_shutdown]
async fn stop_a(_app: &App) {}

#[on_shutdown]
async fn stop_b(_app: &App) {}

/// Runs last: the registry was validated (route names, queues) and every hook above ran.
#[on_startup(order = 2147483647)]
async fn exit_before_connecting(_app: &App) {
    std::process::exit(0);
}

asyncworker::main!(init_tracing = false);
