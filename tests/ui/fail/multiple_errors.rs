use asyncworker::prelude::*;

// Every mistake is reported in one go, each at its own token.
#[route(
    amqp = ["orders", ""],
    bulk_sise = 10,
    bulk_size = 0,
    bulk_flush = "soon",
    on_success = "drop",
    queue_type = "quorum"
)]
fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
