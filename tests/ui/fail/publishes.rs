use asyncworker::prelude::*;

struct Invoice;

// Targets without a routing key, listed twice, an empty list: all reported at once.
#[route(amqp = ["a"], publishes = ["billing", "billing:x", "billing:x", ":"])]
async fn targets(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(every = "1h", publishes = [])]
async fn empty() {}

#[route(every = "1h", publishes = "billing:x")]
async fn not_a_list() {}

#[route(every = "1h", publishes = [Invoice "billing:x"])]
async fn no_arrow() {}

#[route(every = "1h", publishes = [Invoice => billing])]
async fn no_target() {}

fn main() {}
