use asyncworker::prelude::*;

// `max_redeliveries` ends requeue loops: it has nothing to do where failed messages are
// retried, parked or not requeued, and it must fit a u16.
#[route(amqp = ["orders"], retries = 2, max_redeliveries = 5)]
async fn with_retries(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["orders"], on_exception = "reject", max_redeliveries = 5)]
async fn not_requeued(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["orders"], max_redeliveries = 70000)]
async fn too_many(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
