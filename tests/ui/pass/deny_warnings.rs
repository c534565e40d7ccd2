//! Strict lint settings in the user's crate produce no warning from the generated code.

#![deny(warnings)]
#![deny(
    unused_qualifications,
    missing_docs,
    missing_debug_implementations,
    rust_2018_idioms,
    single_use_lifetimes,
    unreachable_pub,
    unused_results,
    non_snake_case,
    dead_code
)]

use asyncworker::prelude::*;

/// Shared state.
#[derive(Debug)]
pub struct Db;

/// Bulk handler.
#[route(amqp = ["strict.bulk"], bulk_size = 50, bulk_flush = "250ms")]
pub async fn drain(db: State<Db>, app: App, messages: Vec<Message<u64>>) -> anyhow::Result<()> {
    let _db: &Db = &db;
    if app.is_shutting_down() {
        for m in &messages {
            m.requeue();
        }
    }
    Ok(())
}

/// Single-message handler with a raw identifier as its name.
#[route(amqp = ["strict.one"])]
async fn r#match(message: Message<String>) {
    if message.body().is_empty() {
        message.reject();
    }
}

/// Inserts the state.
#[on_startup(order = 1)]
pub async fn start(app: &App) -> Result<(), asyncworker::StateError> {
    app.insert(Db)
}

/// Releases it.
#[on_shutdown]
async fn stop(app: &App) {
    let _db = app.state::<Db>();
}

/// Ends the test binary once every other startup hook ran, before any broker connection.
#[on_startup(order = 2147483647)]
async fn exit_before_connecting(_app: &App) {
    std::process::exit(0);
}

asyncworker::main!(init_tracing = false);
