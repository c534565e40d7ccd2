//! Plain (non-async) handlers: run on tokio's blocking pool, for every route kind.

use asyncworker::http::{Json, Path};
use asyncworker::prelude::*;

struct Db;

#[route(amqp = ["q"])]
fn consume(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["bulk"], bulk_size = 10, concurrency = 2)]
fn consume_bulk(_db: State<Db>, app: App, messages: Vec<Message<String>>) -> anyhow::Result<()> {
    let _ = (app, messages);
    Ok(())
}

#[route(every = "1s")]
fn tick() {}

#[route(cron = "0 */5 * * * *", max_concurrency = 2)]
fn report(_db: State<Db>) -> Result<(), std::io::Error> {
    Ok(())
}

#[route(sse = ["/events"], url = "http://127.0.0.1:8080")]
fn watch(events: Vec<Event<serde_json::Value>>) {
    let _ = events;
}

#[route(http = ["/orders/{id}"])]
fn order(Path(id): Path<u64>) -> Json<u64> {
    Json(id)
}

#[route(http = ["/"])]
fn index() -> &'static str {
    "hello"
}

fn main() {}
