use asyncworker::prelude::*;

// Whole seconds from 1s to 12h.
#[route(sqs = ["orders"], visibility_timeout = "0s")]
async fn handle(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

#[route(sqs = ["audit"], visibility_timeout = "13h")]
async fn audit(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

fn main() {}
