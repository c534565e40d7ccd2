use asyncworker::prelude::*;

#[route(amqp = ["jobs"], singleton = true)]
async fn jobs(_messages: Vec<Message<u8>>) {}

fn main() {}
