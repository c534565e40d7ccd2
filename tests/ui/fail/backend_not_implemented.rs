use asyncworker::prelude::*;

#[route(every = "30s", bulk_size = 10)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
