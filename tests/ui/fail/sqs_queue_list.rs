use asyncworker::prelude::*;

#[route(sqs = "orders")]
async fn not_a_list(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

#[route(sqs = [], bulk_size = 10)]
async fn empty(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

fn main() {}
