use asyncworker::prelude::*;

#[route(amqp = ["q"], on_exception = "retry")]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
