use asyncworker::prelude::*;

struct Order;

#[route(amqp = ["q"], bulk_size = 10)]
async fn handle(messages: Vec<Message<Order>>) {
    let _ = messages;
}

fn main() {}
