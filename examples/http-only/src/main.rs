//! A worker with only the HTTP backend compiled in (`default-features = false, features =
//! ["http"]`): its dependency tree has no lapin, reqwest or cron (CI checks it with
//! `cargo tree`), `--help` and `--only` know only `http`, and a route of another backend is a
//! compile error naming the feature to enable (`tests/ui`).
//!
//! ```sh
//! cargo run -p http-only
//! curl -s -X POST 127.0.0.1:8080/echo -H 'content-type: application/json' -d '{"text": "hi"}'
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use asyncworker::http::Json;
use asyncworker::prelude::*;
use serde::{Deserialize, Serialize};

/// What `/echo` takes and gives back.
#[derive(Debug, Deserialize, Serialize)]
struct Note {
    text: String,
}

/// How many notes were echoed.
#[derive(Default)]
struct Counter(AtomicU64);

/// Echoes a JSON note and counts it.
#[route(http = ["/echo"], methods = ["POST"])]
async fn echo(count: State<Counter>, Json(note): Json<Note>) -> Json<Note> {
    count.0.fetch_add(1, Ordering::Relaxed);
    Json(note)
}

/// How many notes were echoed so far.
#[route(http = ["/count"])]
async fn count(count: State<Counter>) -> String {
    count.0.load(Ordering::Relaxed).to_string()
}

#[on_startup]
async fn init(app: &App) -> Result<(), asyncworker::StateError> {
    app.insert(Counter::default())
}

asyncworker::main!();
