//! `main!` accepts every `MainOptions` field, with a trailing comma.

use asyncworker::prelude::*;

#[route(amqp = ["main.options"], bulk_size = 100)]
async fn handle(messages: Vec<Message<u32>>) {
    let _ = messages;
}

/// The options were accepted at runtime too (settings parse before hooks run).
#[on_startup(order = 2147483647)]
async fn exit_before_connecting(app: &App) {
    let settings = app.settings();
    assert_eq!(settings.amqp_prefetch, 256);
    assert_eq!(settings.app_name, "billing");
    assert_eq!(settings.shutdown_timeout, std::time::Duration::from_secs(10));
    std::process::exit(0);
}

asyncworker::main!(
    amqp_url = "amqp://guest:guest@127.0.0.1:5672/%2f",
    app_name = "billing",
    amqp_prefetch = 256,
    amqp_heartbeat = 30,
    amqp_queue_prefix = "ui-",
    http_host = "127.0.0.1",
    http_port = 8081,
    sse_url = "http://127.0.0.1:8082",
    shutdown_timeout = "10s",
    log = "warn",
    log_format = "json",
    init_tracing = false,
);
