//! Every AMQP option at once, and each one reaches the registration.

use asyncworker::prelude::*;
use asyncworker::{MainOptions, Settings, Worker};

#[route(
    amqp = ["all.a", "all.b"],
    name = "everything",
    vhost = "ui-vhost",
    connection = "ui-conn",
    bulk_size = 100,
    bulk_flush = "1m30s",
    prefetch = 300,
    concurrency = 4,
    on_success = "requeue",
    on_exception = "reject",
    on_decode_error = "ack",
    timeout = "2s500ms",
)]
async fn handle(messages: Vec<Message<serde_json::Value>>) -> Result<(), String> {
    let _ = messages;
    Ok(())
}

fn main() {
    // SAFETY: nothing else runs yet.
    unsafe { std::env::set_var("ASYNCWORKER_AMQP_UI_CONN_URL", "amqp://127.0.0.1:5672") };
    let settings = Settings::from_lookup(|_| None, &MainOptions::DEFAULT).unwrap();
    let listing = Worker::new(settings).describe_routes().unwrap();
    for expected in [
        "everything",
        r#"queues=["all.a", "all.b"]"#,
        "bulk_size=100",
        "bulk_flush=90000ms",
        "prefetch=300",
        "concurrency=4",
        "timeout=2500ms",
        r#"vhost="ui-vhost""#,
        r#"connection="ui-conn""#,
    ] {
        assert!(listing.contains(expected), "{expected:?} missing from {listing}");
    }
}
