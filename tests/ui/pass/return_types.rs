//! Accepted return types: `()` or `Result<(), E>` with `E: Into<Box<dyn Error + Send + Sync>>`,
//! for handlers and hooks alike.

use asyncworker::prelude::*;

#[route(amqp = ["ret.unit"])]
async fn unit(_m: Message<u8>) {}

#[route(amqp = ["ret.string"], bulk_size = 10)]
async fn string(messages: Vec<Message<u8>>) -> Result<(), String> {
    if messages.is_empty() {
        return Err("empty".to_owned());
    }
    Ok(())
}

#[route(amqp = ["ret.str"])]
async fn static_str(_m: Message<u8>) -> Result<(), &'static str> {
    Ok(())
}

#[route(amqp = ["ret.io"])]
async fn io(_m: Message<u8>) -> std::io::Result<()> {
    Ok(())
}

#[route(amqp = ["ret.anyhow"])]
async fn any(_m: Message<u8>) -> anyhow::Result<()> {
    Ok(())
}

#[route(amqp = ["ret.boxed"])]
async fn boxed(_m: Message<u8>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    Ok(())
}

#[on_startup]
async fn hook_unit(_app: &App) {}

#[on_startup(order = -5)]
async fn hook_io(_app: &App) -> Result<(), std::io::Error> {
    Ok(())
}

#[on_shutdown(order = 3)]
async fn hook_anyhow(_app: &App) -> anyhow::Result<()> {
    Ok(())
}

#[on_shutdown(order = -2147483648)]
async fn hook_string(_app: &App) -> Result<(), String> {
    Ok(())
}

fn main() {}
