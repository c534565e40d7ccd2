use asyncworker::prelude::*;

#[route(sse = ["/events"], url = "http://127.0.0.1:8081")]
async fn watch(events: Vec<u64>) {
    let _ = events;
}

fn main() {}
