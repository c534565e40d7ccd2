use asyncworker::prelude::*;

// SQS long-polls for 20 seconds at most, in whole seconds.
#[route(sqs = ["orders"], wait_time = "30s")]
async fn handle(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

#[route(sqs = ["audit"], wait_time = "1500ms")]
async fn audit(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

fn main() {}
