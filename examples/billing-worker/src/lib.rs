//! A consumer that also publishes: each order becomes an invoice on another queue. A failing
//! order is retried after a delay and, after its last retry, parked for a person to look at.
//! A scheduled job publishes a report every minute.
//!
//! The routes and hooks live in this library so that the tests in `tests/` reach them;
//! `src/main.rs` is the binary (`asyncworker::main!()`).
//!
//! ```text
//!                   ┌──────────────── after 5 s (TTL) ─────────────┐
//!                   ▼                                              │
//!   producer ──▶ billing.orders ──▶ bill() ──Err──▶ billing.orders.retry
//!                                    │  └── after 3 retries ──▶ billing.orders.parking
//!                                    └──Ok: invoice ──▶ billing.invoices ──▶ archive()
//!   every 60 s: report() ──▶ exchange amq.topic, routing key "billing.report"
//! ```
//!
//! ```sh
//! cargo run -p billing-worker      # declares every queue above (declare = true)
//! # in another shell:
//! cargo run -q -p asyncworker-tests --bin amqp-tool -- publish billing.orders '{"id": 1, "amount_cents": 1250}'
//! cargo run -q -p asyncworker-tests --bin amqp-tool -- publish billing.orders '{"id": 2, "amount_cents": 0}'
//! # order 2 fails: retried 3 times, 5 s apart, then parked in billing.orders.parking
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use asyncworker::prelude::*;
use serde::{Deserialize, Serialize};

/// One order as producers publish it.
#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: u64,
    pub amount_cents: u64,
}

/// What `bill` publishes for each order.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Invoice {
    pub order: u64,
    pub amount_cents: u64,
}

/// What the worker did so far.
#[derive(Default)]
pub struct Stats {
    pub invoiced: AtomicU64,
    pub archived: AtomicU64,
}

/// Turns orders into invoices. An Err (or a panic, or a timeout) sends the order to
/// `billing.orders.retry`; after three retries it is parked with the error in its headers.
#[route(
    amqp = ["billing.orders"],
    bulk_size = 20,
    retries = 3,
    retry_delay = "5s",
    dead_letter = "billing.orders.parking",
    declare = true,
    timeout = "10s"
)]
async fn bill(app: App, stats: State<Stats>, orders: Vec<Message<Order>>) -> Result<(), String> {
    let mut failed = false;
    for m in &orders {
        let order = m.body();
        if order.amount_cents == 0 {
            println!(
                "order {} (attempt {}) has no amount; it will be retried",
                order.id,
                m.attempt()
            );
            failed = true;
            continue;
        }
        let invoice = Invoice {
            order: order.id,
            amount_cents: order.amount_cents,
        };
        // Confirmed by the broker before we go on: the order is acked only after its invoice
        // is safely queued. A failed publish fails the call, so the order is retried.
        app.amqp()
            .mandatory()
            .publish("", "billing.invoices", &invoice)
            .await
            .map_err(|e| e.to_string())?;
        // Only this message is settled now: the failed ones of the bulk take the retry path.
        m.accept();
        stats.invoiced.fetch_add(1, Ordering::Relaxed);
    }
    if failed {
        return Err("some orders have no amount".into());
    }
    Ok(())
}

/// Consumes the invoices `bill` publishes (and declares their queue).
#[route(amqp = ["billing.invoices"], declare = true)]
pub async fn archive(stats: State<Stats>, invoice: Message<Invoice>) {
    println!("archived invoice for order {}", invoice.body().order);
    stats.archived.fetch_add(1, Ordering::Relaxed);
}

/// What the report says.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    pub invoiced: u64,
    pub archived: u64,
}

/// Publishes a report every minute to the `amq.topic` exchange (bind a queue to
/// `billing.report` to receive it).
#[route(every = "60s")]
async fn report(app: App, stats: State<Stats>) -> Result<(), asyncworker::amqp::PublishError> {
    let report = Report {
        invoiced: stats.invoiced.load(Ordering::Relaxed),
        archived: stats.archived.load(Ordering::Relaxed),
    };
    app.amqp()
        .publish("amq.topic", "billing.report", &report)
        .await
}

#[on_startup]
async fn init(app: &App) -> Result<(), asyncworker::StateError> {
    app.insert(Stats::default())
}
