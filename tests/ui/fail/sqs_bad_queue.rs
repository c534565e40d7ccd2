use asyncworker::prelude::*;

// A name with a dot that is not `.fifo`, a URL without a path, and a queue listed twice.
#[route(sqs = ["orders", "orders.v2", "https://sqs.eu-west-1.amazonaws.com", "orders"])]
async fn handle(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

// Too long: 81 characters, `.fifo` included.
#[route(sqs = ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.fifo"])]
async fn fifo(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

fn main() {}
