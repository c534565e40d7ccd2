//! A worker with an HTTP, an SSE and a scheduled route for the `--check` tests. The SSE
//! server is `ASYNCWORKER_SSE_URL`. Its hook and its job print a line if they ever run, which
//! `--check` must not let them do.

use asyncworker::prelude::*;

#[route(http = ["/"])]
async fn hello() -> &'static str {
    "hello"
}

#[route(sse = ["/events"])]
async fn feed(events: Vec<Event<serde_json::Value>>) {
    println!("EVENTS {}", events.len());
}

/// `immediately`: were the backends started, this would print at once.
#[route(every = "1h", immediately = true)]
async fn hourly() {
    println!("JOB RAN hourly");
}

#[on_startup]
async fn started(_app: &App) {
    println!("HOOK RAN started");
}

asyncworker::main!();
