use asyncworker::prelude::*;

#[route(amqp = ["orders"], queue_type = "quorum")]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["audit"], declare = false, queue_type = "classic")]
async fn audit(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
