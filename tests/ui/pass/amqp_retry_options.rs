//! The retry, dead-letter and declaration options reach the registration, and only the ones
//! written are set: the others keep the runtime's defaults.

#![deny(warnings)]

use asyncworker::__private::{AmqpOptions, AmqpRouteDef, QueueType, inventory};
use asyncworker::prelude::*;

#[route(
    amqp = ["orders", "orders.priority"],
    retries = 3,
    retry_delay = "1m30s",
    dead_letter = "orders.parking",
    declare = true,
    queue_type = "quorum",
)]
async fn everything(messages: Vec<Message<serde_json::Value>>) -> Result<(), String> {
    let _ = messages;
    Ok(())
}

/// Straight to the parking queue on the first failure.
#[route(amqp = ["audit"], retries = 0, dead_letter = "audit.parking")]
async fn park_at_once(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["plain"], retries = 10000, declare = false)]
async fn only_retries(messages: Vec<Message<u8>>) {
    let _ = messages;
}

#[route(amqp = ["classic"], declare = true, queue_type = "classic")]
fn blocking_declared(messages: Vec<Message<u8>>) {
    let _ = messages;
}

fn options(name: &str) -> AmqpOptions {
    inventory::iter::<AmqpRouteDef>
        .into_iter()
        .find(|def| def.name == name)
        .unwrap_or_else(|| panic!("route {name} not registered"))
        .options
}

fn main() {
    let d = AmqpOptions::DEFAULT;

    let o = options("everything");
    assert_eq!(o.retries, 3);
    assert_eq!(o.retry_delay_ms, 90_000);
    assert_eq!(o.dead_letter, Some("orders.parking"));
    assert!(o.declare);
    assert_eq!(o.queue_type, QueueType::Quorum);

    let o = options("park_at_once");
    assert_eq!(o.retries, 0);
    assert_eq!(o.retry_delay_ms, d.retry_delay_ms);
    assert_eq!(o.dead_letter, Some("audit.parking"));
    assert!(!o.declare);
    assert_eq!(o.queue_type, QueueType::Classic);

    let o = options("only_retries");
    assert_eq!(o.retries, 10_000);
    assert_eq!(o.retry_delay_ms, 10_000);
    assert_eq!(o.dead_letter, None);
    assert!(!o.declare);

    let o = options("blocking_declared");
    assert_eq!(o.retries, 0);
    assert!(o.declare);
    assert_eq!(o.queue_type, QueueType::Classic);
}
