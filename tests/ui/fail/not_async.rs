use asyncworker::prelude::*;

#[route(amqp = ["q"])]
fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
