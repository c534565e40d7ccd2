use asyncworker::prelude::*;

#[route(amqp = ["q"], bulk_size = 70000)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
