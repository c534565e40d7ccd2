//! A crate that forbids `unsafe` can still register routes and hooks: the registration
//! (inventory's `#[link_section]` static) lives in asyncworker's macros, not in the user's code.

#![forbid(unsafe_code)]

use asyncworker::prelude::*;

#[route(amqp = ["forbid.unsafe"], bulk_size = 5)]
async fn handle(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[on_startup]
async fn start(_app: &App) {}

#[on_shutdown(order = 1)]
async fn stop(_app: &App) -> anyhow::Result<()> {
    Ok(())
}

#[on_startup(order = 2147483647)]
async fn exit_before_connecting(_app: &App) {
    std::process::exit(0);
}

asyncworker::main!();
