use asyncworker::prelude::*;

// A failed message would come straight back to the handler, forever.
#[route(amqp = ["orders", "orders.priority"], retries = 3, dead_letter = "orders.priority")]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

// The same through the retry queue of `audit`.
#[route(amqp = ["audit"], retries = 3, dead_letter = "audit.retry")]
async fn audit(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
