//! The README worker: two queues drained in bulks of up to 100, shared state built by a
//! startup hook, an HTTP route reading that state, and a shutdown hook that reports what was
//! done.
//!
//! The routes and hooks live in this library so that the tests in `tests/` reach them;
//! `src/main.rs` is the binary (`asyncworker::main!()`).
//!
//! ```sh
//! cargo run -q -p asyncworker-tests --bin amqp-tool -- declare orders orders.retry
//! cargo run -p orders-worker
//! # in another shell:
//! cargo run -q -p asyncworker-tests --bin amqp-tool -- publish orders '{"id": 1, "amount_cents": 1250}'
//! curl -s http://127.0.0.1:8080/totals          # {"orders":1,"cents":1250,"refused":0}
//! curl -s http://127.0.0.1:8080/health/ready    # {"status":"ready"}
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

use asyncworker::http::Json;
use asyncworker::prelude::*;
use serde::{Deserialize, Serialize};

/// One order as producers publish it.
#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: u64,
    pub amount_cents: u64,
}

/// Running totals, shared by every handler call.
#[derive(Default)]
pub struct Totals {
    pub orders: AtomicU64,
    pub cents: AtomicU64,
    pub refused: AtomicU64,
}

/// Called with up to 100 orders at a time from either queue (or fewer after 1 s).
#[route(amqp = ["orders", "orders.retry"], bulk_size = 100, bulk_flush = "1s")]
pub async fn drain(totals: State<Totals>, orders: Vec<Message<Order>>) -> Result<(), String> {
    for m in &orders {
        let order = m.body();
        if order.amount_cents == 0 {
            println!("order {} has nothing to bill; rejecting it", order.id);
            // Nothing to bill: drop it (or dead-letter it, if the queue has a DLX).
            m.reject();
            totals.refused.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        totals.orders.fetch_add(1, Ordering::Relaxed);
        totals
            .cents
            .fetch_add(order.amount_cents, Ordering::Relaxed);
    }
    println!(
        "bulk of {} from {:?}: {} orders, {} cents so far",
        orders.len(),
        orders.first().map(|m| m.queue()),
        totals.orders.load(Ordering::Relaxed),
        totals.cents.load(Ordering::Relaxed),
    );
    // Unmarked messages are acked because we return Ok; an Err would requeue them.
    Ok(())
}

/// What `GET /totals` answers.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TotalsView {
    pub orders: u64,
    pub cents: u64,
    pub refused: u64,
}

/// The running totals, served next to the consumer (on ASYNCWORKER_HTTP_PORT, 8080).
#[route(http = ["/totals"])]
async fn totals(totals: State<Totals>) -> Json<TotalsView> {
    Json(TotalsView {
        orders: totals.orders.load(Ordering::Relaxed),
        cents: totals.cents.load(Ordering::Relaxed),
        refused: totals.refused.load(Ordering::Relaxed),
    })
}

#[on_startup]
async fn init(app: &App) -> Result<(), asyncworker::StateError> {
    app.insert(Totals::default())
}

#[on_shutdown]
async fn report(app: &App) {
    let totals = app.state::<Totals>();
    println!(
        "stopping: {} orders for {} cents, {} refused",
        totals.orders.load(Ordering::Relaxed),
        totals.cents.load(Ordering::Relaxed),
        totals.refused.load(Ordering::Relaxed),
    );
}
