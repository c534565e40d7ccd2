use asyncworker::prelude::*;

// SQS counts visibility in whole seconds: a delay of 500ms cannot be asked for.
#[route(sqs = ["orders"], retries = 3, retry_delay = ["500ms", "30s"])]
async fn handle(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

// Nor more than 12 hours (ChangeMessageVisibility's limit).
#[route(sqs = ["audit"], retries = 1, retry_delay = "13h")]
async fn audit(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

fn main() {}
