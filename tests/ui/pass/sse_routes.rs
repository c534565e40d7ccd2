//! SSE routes with every option, extractors, and the `Event` accessors.

use asyncworker::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Status {
    app: String,
}

struct Db;

#[route(
    sse = ["/v2/events", "/v2/other"],
    url = "http://127.0.0.1:8080/prefix",
    headers = ["Authorization: Bearer ${TOKEN}", "X-Price: $$5"],
    bulk_size = 100,
    bulk_flush = "1s",
    concurrency = 2,
    timeout = "30s",
    idle_timeout = "45s",
    max_event_size = 65536,
    name = "watch_everything"
)]
async fn watch(db: State<Db>, app: App, events: Vec<Event<Status>>) -> anyhow::Result<()> {
    let _db: &Db = &db;
    let _ = app.is_shutting_down();
    for e in &events {
        let _: (&str, Option<&str>, &str, &str, &str) =
            (e.name(), e.id(), e.raw(), e.path(), &e.data().app);
    }
    Ok(())
}

// Everything defaulted: the URL comes from ASYNCWORKER_SSE_URL.
#[route(sse = ["/events"])]
async fn minimal(events: Vec<Event<serde_json::Value>>) {
    let _ = events.into_iter().map(Event::into_data).count();
}

#[on_startup]
async fn start(app: &App) -> Result<(), asyncworker::StateError> {
    app.insert(Db)
}

fn main() {}
