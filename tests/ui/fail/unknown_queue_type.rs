use asyncworker::prelude::*;

#[route(amqp = ["orders"], declare = true, queue_type = "stream")]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
