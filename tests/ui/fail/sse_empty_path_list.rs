use asyncworker::prelude::*;

#[route(sse = [], url = "http://127.0.0.1:8080")]
async fn handle(events: Vec<Event<u8>>) {
    let _ = events;
}

fn main() {}
