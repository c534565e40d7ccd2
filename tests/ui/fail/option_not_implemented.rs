use asyncworker::prelude::*;

#[route(amqp = ["q"], retries = 3)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
