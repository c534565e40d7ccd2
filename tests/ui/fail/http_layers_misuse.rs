use asyncworker::http::Layers;
use asyncworker::prelude::*;

fn auth() -> Layers {
    Layers::new()
}

// A string, not the path of a function.
#[route(http = ["/a"], layers = "auth")]
async fn a() {}

// A call, not the path of a function.
#[route(http = ["/b"], layers = auth())]
async fn b() {}

// A function of another type: it must be `fn() -> Layers`.
fn takes_a_name(_name: &str) -> Layers {
    Layers::new()
}

#[route(http = ["/c"], layers = takes_a_name)]
async fn c() {}

// Not on AMQP routes.
#[route(amqp = ["q"], layers = auth)]
async fn d(_m: Message<u64>) {}

fn main() {}
