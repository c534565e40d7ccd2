use asyncworker::prelude::*;

#[route(amqp = ["orders"], retries = 5, retry_delay = ["1s", "30s", "5m"], dead_letter = "orders.parking")]
async fn tiers(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["jobs"], max_redeliveries = 0)]
async fn unguarded(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["mail"], max_redeliveries = 5)]
async fn guarded(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
