use asyncworker::prelude::*;

#[route(amqp = ["q"], bulk_size = 10)]
async fn handle(message: Message<u8>) {
    let _ = message;
}

fn main() {}
