use asyncworker::prelude::*;

#[route(amqp = ["q"], bulk_size = 10, bulk_size = 20)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
