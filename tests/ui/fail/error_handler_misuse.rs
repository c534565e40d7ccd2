use asyncworker::prelude::*;

#[derive(serde::Deserialize)]
struct Order {
    id: u64,
}

#[derive(serde::Deserialize)]
struct Invoice {
    id: u64,
}

// Messages of another type than the route's.
async fn other_body(_failure: Failure, _messages: Vec<Message<Invoice>>) {}

#[route(amqp = ["orders"], error_handler = other_body)]
async fn orders(m: Message<Order>) {
    let _ = m.body().id;
}

// No `Failure`.
async fn no_failure(_messages: Vec<Message<Order>>) {}

#[route(amqp = ["orders2"], error_handler = no_failure)]
async fn orders2(m: Message<Order>) {
    let _ = m.body().id;
}

// Not on HTTP routes.
async fn on_http(_failure: Failure) {}

#[route(http = ["/x"], error_handler = on_http)]
async fn x() {}

// Not a path.
#[route(amqp = ["orders3"], error_handler = "on_failure")]
async fn orders3(m: Message<Invoice>) {
    let _ = m.body().id;
}

fn main() {}
