//! A worker for the document tests (`tests/documents.rs`): AMQP routes with every part of the
//! topology (`bind` to topic and fanout exchanges, retries with tiers, a dead-letter queue,
//! quorum queues, queue arguments, a `declare = false` route), an SSE route, routes that
//! declare what they publish, body types with and without a JSON Schema.

use asyncworker::prelude::*;
use asyncworker::schema::JsonSchema;
use serde::{Deserialize, Serialize};

/// An order from the shop.
#[derive(Deserialize, Serialize, JsonSchema)]
#[schemars(crate = "asyncworker::schema::schemars")]
struct Order {
    id: u64,
    customer: String,
    total_cents: Option<u64>,
}

/// The invoice of an order.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "asyncworker::schema::schemars")]
struct Invoice {
    order: u64,
    amount_cents: u64,
}

/// A body without a schema: free-form in the documents.
#[derive(Deserialize)]
struct Note {
    #[allow(dead_code)]
    text: String,
}

/// Takes the shop's orders in bulk.
///
/// Failed orders are retried after 1s, then 5s, then parked in `orders.parking`.
#[route(
    amqp = ["orders"],
    declare = true,
    queue_type = "quorum",
    bulk_size = 10,
    bulk_flush = "250ms",
    retries = 3,
    retry_delay = ["1s", "5s"],
    dead_letter = "orders.parking",
    bind = ["shop:order.*", "shop:order.rush"],
    max_length = 1000,
    overflow = "reject-publish",
    delivery_limit = 5,
    publishes = [Invoice => "billing:invoice.created", ":audit"]
)]
async fn take_orders(_orders: Vec<Message<Order>>) {}

/// Reads the notices broadcast to every worker.
#[route(
    amqp = ["notes"],
    declare = true,
    bind = ["notices:"],
    exchange_type = "fanout",
    message_ttl = "60s",
    max_length = 50
)]
async fn notes(_note: Message<Note>) {}

/// Consumes a queue that another service owns.
#[route(amqp = ["legacy"], retries = 1, retry_delay = "2s")]
async fn legacy(_m: Message<Order>) {}

/// Follows the shop's order events.
#[route(sse = ["/v1/orders"], bulk_size = 5)]
async fn order_events(_events: Vec<Event<Order>>) {}

/// Reports totals every hour.
#[route(every = "1h", publishes = ["stats:totals"])]
async fn report() {}

asyncworker::main!();
