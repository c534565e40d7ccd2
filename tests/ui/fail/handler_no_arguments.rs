use asyncworker::prelude::*;

#[route(amqp = ["q"])]
async fn handle() {}

fn main() {}
