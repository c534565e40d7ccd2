use asyncworker::prelude::*;

struct MyError;

#[route(amqp = ["q"], bulk_size = 10)]
async fn handle(messages: Vec<Message<u8>>) -> Result<(), MyError> {
    let _ = messages;
    Ok(())
}

fn main() {}
