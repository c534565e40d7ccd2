use asyncworker::prelude::*;

#[route(amqp = ["q"], timeout = "0s")]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
