use asyncworker::prelude::*;

#[route(amqp = ["q"])]
struct Handler;

fn main() {}
