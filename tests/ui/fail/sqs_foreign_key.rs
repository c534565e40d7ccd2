use asyncworker::prelude::*;

// AMQP's keys are refused on an SQS route, at the key, with the keys it takes.
#[route(sqs = ["orders"], prefetch = 10, declare = true)]
async fn handle(messages: Vec<SqsMessage<u8>>) {
    let _ = messages;
}

// And SQS's on an AMQP route.
#[route(amqp = ["audit"], wait_time = "20s")]
async fn audit(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
