use asyncworker::prelude::*;

#[route(amqp = ["orders"], bulk_size = 10)]
async fn drain(app: App, orders: Vec<u64>) {
    let _ = (app, orders);
}

fn main() {}
