use asyncworker::prelude::*;

#[route(amqp = ["orders"], retry_delay = "30s")]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
