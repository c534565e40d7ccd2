use asyncworker::prelude::*;

// Options of other backends, bad headers and bad sizes, all reported at once.
#[route(
    sse = ["events", "/a", "/a"],
    url = "https://example.com",
    headers = ["Authorization Bearer x", "Last-Event-ID: 5", "X-Token: ${TOKEN"],
    prefetch = 10,
    on_success = "ack",
    max_event_size = 0
)]
async fn handle(events: Vec<Event<u8>>) {
    let _ = events;
}

fn main() {}
