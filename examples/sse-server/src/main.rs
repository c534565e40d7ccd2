//! A tiny SSE server for `examples/sse-worker`: `GET /v2/events` streams a Marathon-like
//! `status_update_event` every 300 ms, numbered by `id:`. It resumes after the client's
//! `Last-Event-ID`, and ends each connection after 25 events so that the worker's reconnection
//! and resumption can be watched. Every 20th event carries data the worker cannot decode.
//!
//! `cargo run -p sse-server [port]` (default 8081).

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::stream::{self, Stream};

const STATUSES: [&str; 4] = [
    "TASK_STAGING",
    "TASK_STARTING",
    "TASK_RUNNING",
    "TASK_FINISHED",
];

async fn events(headers: HeaderMap) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let from = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(0, |n| n + 1);
    println!("client connected; Last-Event-ID resumes at {from}");
    let stream = stream::unfold(from, move |n| async move {
        if n >= from + 25 {
            println!("closing the connection after event {}", n - 1);
            return None;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let data = if n % 20 == 19 {
            // Not a status update: the worker skips it, logs it and counts it.
            "{\"unexpected\": true}".to_owned()
        } else {
            serde_json::json!({
                "eventType": "status_update_event",
                "appId": format!("/demo/app-{}", n % 3),
                "taskStatus": STATUSES[(n % 4) as usize],
            })
            .to_string()
        };
        let event = Event::default()
            .event("status_update_event")
            .id(n.to_string())
            .retry(Duration::from_secs(1))
            .data(data);
        Some((Ok(event), n + 1))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8081);
    let app = Router::new().route("/v2/events", get(events));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("serving http://127.0.0.1:{port}/v2/events");
    axum::serve(listener, app).await
}
