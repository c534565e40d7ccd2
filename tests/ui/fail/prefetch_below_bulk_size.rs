use asyncworker::prelude::*;

#[route(amqp = ["q"], bulk_size = 100, prefetch = 10)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
