use asyncworker::prelude::*;

#[route(sse = ["/v2/events"], url = "127.0.0.1:8080")]
async fn handle(events: Vec<Event<u8>>) {
    let _ = events;
}

fn main() {}
