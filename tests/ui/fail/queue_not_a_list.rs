use asyncworker::prelude::*;

#[route(amqp = "orders")]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
