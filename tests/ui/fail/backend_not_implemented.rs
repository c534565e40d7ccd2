use asyncworker::prelude::*;

#[route(http = "/orders", bulk_size = 10)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
