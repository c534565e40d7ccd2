//! One AMQP route and nothing else, for the test that gives this build an `amqps://` URL
//! (`tests/tests/amqp_tls_feature_off.rs`).

use asyncworker::prelude::*;

#[route(amqp = ["orders"])]
async fn orders(messages: Vec<Message<u64>>) {
    println!("HANDLED {}", messages.len());
}

asyncworker::main!();
