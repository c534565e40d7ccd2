use asyncworker::prelude::*;

// A failed message would come straight back to the handler, forever.
#[route(sqs = ["orders", "orders-priority"], retries = 3, dead_letter = "orders-priority")]
async fn handle(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

// A dead letter is a queue by the same rules as the route's.
#[route(sqs = ["audit"], retries = 3, dead_letter = "audit.dlq")]
async fn audit(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

fn main() {}
