use asyncworker::prelude::*;

// An SSE route receives `Vec<Event<T>>`, not AMQP messages.
#[route(sse = ["/v2/events"], url = "http://127.0.0.1:8080")]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn main() {}
