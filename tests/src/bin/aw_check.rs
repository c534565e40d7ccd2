//! A worker with an HTTP, an SSE and a scheduled route for the `--check` tests. The SSE
//! server is `ASYNCWORKER_SSE_URL`. Its job prints a line if it ever runs, which `--check`
//! must not let it do. Its hooks run under `--check` and say so on stderr (stdout holds only
//! the report): `started` registers the readiness check `database`, failing while
//! `AW_CHECK_DATABASE=down`; `open_cache` fails while `AW_CHECK_CACHE=down`, so that `after`
//! never runs; the shutdown hook `stopped` runs last.

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

fn is_down(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "down")
}

#[on_startup]
async fn started(app: &App) {
    eprintln!("HOOK RAN started is_check={}", app.is_check());
    app.health().check("database", || async {
        match is_down("AW_CHECK_DATABASE") {
            true => Err("connection refused"),
            false => Ok(()),
        }
    });
}

#[on_startup(order = 1)]
async fn open_cache(_app: &App) -> Result<(), String> {
    eprintln!("HOOK RAN open_cache");
    match is_down("AW_CHECK_CACHE") {
        true => Err("cache is unreachable".to_owned()),
        false => Ok(()),
    }
}

#[on_startup(order = 2)]
async fn after(_app: &App) {
    eprintln!("HOOK RAN after");
}

#[on_shutdown]
async fn stopped(app: &App) {
    eprintln!("SHUTDOWN HOOK RAN stopped is_check={}", app.is_check());
}

asyncworker::main!();
