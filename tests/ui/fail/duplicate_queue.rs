use asyncworker::prelude::*;

#[route(amqp = ["orders", "orders.retry", "orders"])]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
