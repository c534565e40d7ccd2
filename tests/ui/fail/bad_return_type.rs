use asyncworker::prelude::*;

#[route(amqp = ["q"], bulk_size = 10)]
async fn handle(messages: Vec<Message<u8>>) -> u32 {
    messages.len() as u32
}

fn main() {}
