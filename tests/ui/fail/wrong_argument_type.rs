use asyncworker::prelude::*;

#[route(amqp = ["q"])]
async fn handle(count: u32) {
    let _ = count;
}

fn main() {}
