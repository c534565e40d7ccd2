//! Every SQS option at once (with an error handler and a codec), under `deny(warnings)`, and
//! each one reaches the registration.
#![deny(warnings)]

use asyncworker::prelude::*;
use asyncworker::{MainOptions, Settings, Worker};

async fn on_failure(failure: Failure, messages: Vec<SqsMessage<String>>) {
    let _ = (failure, messages);
}

#[route(
    sqs = ["all-a", "https://sqs.eu-west-1.amazonaws.com/123456789012/all-b.fifo"],
    name = "everything",
    bulk_size = 25,
    bulk_flush = "1m30s",
    concurrency = 4,
    on_success = "ack",
    on_exception = "reject",
    on_decode_error = "requeue",
    timeout = "2s500ms",
    wait_time = "5s",
    visibility_timeout = "2m",
    retries = 3,
    retry_delay = ["5s", "1m"],
    dead_letter = "all-parked",
    error_handler = on_failure,
    codec = asyncworker::codec::Text,
)]
async fn handle(messages: Vec<SqsMessage<String>>) -> Result<(), String> {
    let _ = messages;
    Ok(())
}

#[route(sqs = ["one"])]
async fn one(message: SqsMessage<u32>) {
    let _ = (message.attempt(), message.group_id(), message.body());
}

fn main() {
    let settings = Settings::from_lookup(|_| None, &MainOptions::DEFAULT).unwrap();
    let listing = Worker::new(settings).describe_routes().unwrap();
    for expected in [
        "everything",
        r#"queues=["all-a", "https://sqs.eu-west-1.amazonaws.com/123456789012/all-b.fifo"]"#,
        "bulk_size=25",
        "bulk_flush=90000ms",
        "concurrency=4",
        "timeout=2500ms",
        "wait_time=5s",
        "visibility_timeout=120s",
        "on_success=ack on_exception=reject on_decode_error=requeue",
        r#"retries=3 retry_delay=["5s", "60s", "60s"]"#,
        r#"dead_letter="all-parked""#,
        r#"queues=["one"]"#,
    ] {
        assert!(listing.contains(expected), "{expected:?} missing from {listing}");
    }
}
