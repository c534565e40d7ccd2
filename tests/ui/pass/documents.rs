//! `publishes` on every backend, typed (with and without a JSON Schema) and free-form, and
//! message types without a schema: all compile, without a warning.
#![deny(warnings)]

use asyncworker::prelude::*;
use asyncworker::schema::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "asyncworker::schema::schemars")]
struct Invoice {
    id: u64,
}

#[derive(Serialize, Deserialize)]
struct Plain {
    id: u64,
}

/// Consumes plain bodies, publishes invoices.
#[route(amqp = ["a"], publishes = [Invoice => "billing:invoice.created", Plain => ":plain", "stats:"])]
async fn on_amqp(messages: Vec<Message<Plain>>) {
    let _ = messages.iter().map(|m| m.body().id).sum::<u64>();
}

#[route(amqp = ["raw"])]
async fn raw(message: Message<bytes::Bytes>) {
    let _ = message;
}

#[route(http = ["/x"], publishes = [Invoice => "billing:x"])]
async fn on_http() {}

#[route(sse = ["/e"], url = "http://127.0.0.1:1", publishes = ["x:y"])]
async fn on_sse(events: Vec<Event<Invoice>>) {
    let _ = events.iter().map(|e| e.data().id).sum::<u64>();
}

#[route(every = "1h", publishes = [Vec<Invoice> => "x:batch"])]
async fn on_tick() {}

fn main() {}
