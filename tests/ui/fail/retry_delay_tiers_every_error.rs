use asyncworker::prelude::*;

// Every mistake in a list of retry tiers, each at its own literal.
#[route(amqp = ["orders"], retries = 2, retry_delay = [])]
async fn empty(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["orders"], retries = 3, retry_delay = ["30s", "30s", "10s"])]
async fn not_growing(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["orders"], retries = 2, retry_delay = ["1s", "30s", "5m"])]
async fn unreachable_tier(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["orders"], retries = 2, retry_delay = ["1s", "soon", "1200h"])]
async fn bad_durations(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["orders"], retries = 2, retry_delay = 30)]
async fn not_a_string(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
