use asyncworker::prelude::*;

// Every mistake in the retry and topology options, each at its own token.
#[route(
    amqp = ["orders"],
    retries = 10001,
    retry_delay = "1200h",
    dead_letter = "",
    declare = "yes",
    queue_type = "lazy",
)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["orders"], retires = 3, retry_dealy = "10s", deadletter = "parking")]
async fn typos(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
