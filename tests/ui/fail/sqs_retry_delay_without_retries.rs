use asyncworker::prelude::*;

#[route(sqs = ["orders"], retry_delay = "30s")]
async fn handle(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

fn main() {}
