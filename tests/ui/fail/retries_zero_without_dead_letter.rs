use asyncworker::prelude::*;

#[route(amqp = ["orders"], retries = 0)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
