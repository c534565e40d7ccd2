//! Every topology key at once (bindings and queue arguments), and each reaches the
//! registration, as `--routes` lists it.

use asyncworker::prelude::*;
use asyncworker::{MainOptions, Settings, Worker};

#[route(
    amqp = ["orders"],
    declare = true,
    queue_type = "quorum",
    bind = ["shop:order.*", "amq.topic:#"],
    max_length = 1000,
    overflow = "reject-publish",
    message_ttl = "1m",
    delivery_limit = 5,
    single_active = true,
    dead_letter = "orders.parking",
)]
async fn orders(messages: Vec<Message<serde_json::Value>>) {
    let _ = messages;
}

#[route(
    amqp = ["docs"],
    declare = true,
    bind = ["docs:"],
    exchange_type = "headers",
    bind_headers = ["x-match=any", "kind=invoice", "region=eu"],
)]
async fn docs(message: Message<serde_json::Value>) {
    let _ = message;
}

fn main() {
    let settings = Settings::from_lookup(|_| None, &MainOptions::DEFAULT).unwrap();
    let listing = Worker::new(settings).describe_routes().unwrap();
    for expected in [
        "bind=shop:order.* bind=amq.topic:# exchange_type=topic max_length=1000 \
         overflow=reject-publish message_ttl=60000ms delivery_limit=5 single_active=true",
        "bind=docs: exchange_type=headers",
    ] {
        assert!(listing.contains(expected), "`{expected}` missing from:\n{listing}");
    }
}
