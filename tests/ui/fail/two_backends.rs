use asyncworker::prelude::*;

#[route(amqp = ["q"], http = ["/orders"])]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
