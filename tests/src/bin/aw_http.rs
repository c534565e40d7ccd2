//! An HTTP worker for the process-level tests (signals, memory). Run it with
//! `ASYNCWORKER_HTTP_PORT=0` and read the port from the `listening on http://...` log line.
//! `/slow?id=N&ms=M` prints `BEGIN <id>` when it starts and `DONE <id>` after M milliseconds.

use std::time::Duration;

use asyncworker::http::{Bytes, Query};
use asyncworker::prelude::*;

#[route(http = ["/"])]
async fn hello() -> &'static str {
    "hello"
}

#[derive(serde::Deserialize)]
struct Slow {
    id: u64,
    ms: u64,
}

#[route(http = ["/slow"])]
async fn slow(Query(q): Query<Slow>) -> String {
    println!("BEGIN {}", q.id);
    tokio::time::sleep(Duration::from_millis(q.ms)).await;
    println!("DONE {}", q.id);
    format!("done {}", q.id)
}

/// Answers the length of the body it read.
#[route(http = ["/echo"], methods = ["POST"])]
async fn echo(body: Bytes) -> String {
    body.len().to_string()
}

asyncworker::main!();
