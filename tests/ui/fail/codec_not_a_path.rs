use asyncworker::prelude::*;

#[route(amqp = ["q"], codec = "csv")]
async fn handle(m: Message<String>) {
    let _ = m;
}

fn main() {}
