//! Consumes the `/v2/events` stream of `examples/sse-server` (Marathon-like status updates)
//! in bulks of up to 10 events, reconnecting and resuming with `Last-Event-ID` whenever the
//! server drops the connection.
//!
//! ```sh
//! cargo run -p sse-server            # in one shell: serves http://127.0.0.1:8081/v2/events
//! cargo run -p sse-worker            # in another
//! ```
//!
//! Point it elsewhere with `ASYNCWORKER_ROUTE_STATUS_UPDATES_URL=http://host:port`.

use std::sync::atomic::{AtomicU64, Ordering};

use asyncworker::prelude::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct StatusUpdate {
    #[serde(rename = "appId")]
    app_id: String,
    #[serde(rename = "taskStatus")]
    task_status: String,
}

#[derive(Default)]
struct Totals {
    events: AtomicU64,
}

/// Up to 10 events per call, or whatever arrived within 2 s.
#[route(
    sse = ["/v2/events"],
    url = "http://127.0.0.1:8081",
    bulk_size = 10,
    bulk_flush = "2s",
    idle_timeout = "45s",
    max_event_size = 262144
)]
async fn status_updates(totals: State<Totals>, events: Vec<Event<StatusUpdate>>) {
    for e in &events {
        println!(
            "{} id={} {} -> {}",
            e.name(),
            e.id().unwrap_or("-"),
            e.data().app_id,
            e.data().task_status
        );
    }
    let n = totals
        .events
        .fetch_add(events.len() as u64, Ordering::Relaxed)
        + events.len() as u64;
    println!("-- bulk of {}, {n} events so far", events.len());
}

#[on_startup]
async fn init(app: &App) -> Result<(), asyncworker::StateError> {
    app.insert(Totals::default())
}

asyncworker::main!();
