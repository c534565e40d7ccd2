//! The billing worker tested as a user tests theirs: on the in-memory harness, what becomes of
//! each order (acked, retried, parked), what `bill` publishes, what the scheduled report
//! publishes; and `archive` called directly.

use std::sync::atomic::Ordering;

use asyncworker::amqp::{AMQPValue, ERROR_HEADER};
use asyncworker::prelude::*;
use asyncworker::testing::{FateKind, TestWorker};
use billing_worker::{Invoice, Report, Stats, archive};
use serde_json::json;

fn kinds(w: &TestWorker, queue: &str) -> Vec<FateKind> {
    w.fates(queue).into_iter().map(|f| f.kind).collect()
}

async fn worker() -> TestWorker {
    TestWorker::builder()
        .only_module("billing_worker")
        .start()
        .await
        .expect("the worker starts")
}

#[tokio::test]
async fn an_order_becomes_an_invoice_that_is_archived() {
    let w = worker().await;
    w.publish("billing.orders", &json!({"id": 1, "amount_cents": 1250}));
    w.settled().await;

    assert_eq!(kinds(&w, "billing.orders"), [FateKind::Acked]);
    let invoices = w.published("", "billing.invoices");
    assert_eq!(invoices.len(), 1);
    assert_eq!(
        invoices[0].json::<Invoice>(),
        Invoice {
            order: 1,
            amount_cents: 1250
        }
    );
    // `archive` consumed the invoice from its queue.
    assert_eq!(kinds(&w, "billing.invoices"), [FateKind::Acked]);
    let stats = w.app().state::<Stats>();
    assert_eq!(stats.invoiced.load(Ordering::Relaxed), 1);
    assert_eq!(stats.archived.load(Ordering::Relaxed), 1);
    w.stop().await;
}

#[tokio::test]
async fn an_order_without_amount_is_retried_three_times_then_parked() {
    let w = worker().await;
    w.publish("billing.orders", &json!({"id": 2, "amount_cents": 0}));
    // Three retry delays of 5 s each: `settled` moves the clock over them.
    w.settled().await;

    assert_eq!(
        kinds(&w, "billing.orders"),
        [
            FateKind::Retried { attempt: 2 },
            FateKind::Retried { attempt: 3 },
            FateKind::Retried { attempt: 4 },
            FateKind::DeadLettered {
                queue: "billing.orders.parking".into()
            },
        ]
    );
    let parked = w.queue("billing.orders.parking");
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].json::<serde_json::Value>()["id"], 2);
    let error = AMQPValue::LongString("some orders have no amount".into());
    assert_eq!(parked[0].header(ERROR_HEADER), Some(&error));
    assert!(w.published("", "billing.invoices").is_empty());
    // A parked order is no reason for the worker not to be ready.
    assert_eq!(w.http().get("/health/ready").await.status, 200);
    w.stop().await;
}

#[tokio::test]
async fn in_a_bulk_the_good_orders_are_billed_and_only_the_bad_one_retried() {
    let w = worker().await;
    w.publish("billing.orders", &json!({"id": 3, "amount_cents": 100}));
    w.publish("billing.orders", &json!({"id": 4, "amount_cents": 0}));
    w.publish("billing.orders", &json!({"id": 5, "amount_cents": 200}));
    w.settled().await;

    // The first delivery of each order, by id.
    let first = |id: u64| {
        w.fates("billing.orders")
            .into_iter()
            .find(|f| f.json::<serde_json::Value>()["id"] == id)
            .map(|f| f.kind)
    };
    assert_eq!(first(3), Some(FateKind::Acked));
    assert_eq!(first(4), Some(FateKind::Retried { attempt: 2 }));
    assert_eq!(first(5), Some(FateKind::Acked));
    let billed: Vec<u64> = w
        .published("", "billing.invoices")
        .iter()
        .map(|p| p.json::<Invoice>().order)
        .collect();
    assert_eq!(billed, [3, 5]);
    w.stop().await;
}

#[tokio::test]
async fn the_report_publishes_what_was_done() {
    let w = worker().await;
    w.publish("billing.orders", &json!({"id": 6, "amount_cents": 990}));
    w.settled().await;

    w.run_schedule("report")
        .await
        .expect("the report is published");
    let reports = w.published("amq.topic", "billing.report");
    assert_eq!(
        reports
            .iter()
            .map(|r| r.json::<Report>())
            .collect::<Vec<_>>(),
        [Report {
            invoiced: 1,
            archived: 1
        }]
    );
    w.stop().await;
}

/// A handler alone: its argument made by hand.
#[tokio::test]
async fn archive_counts_the_invoice() {
    let app = App::for_tests();
    app.insert(Stats::default()).unwrap();
    let invoice = Message::for_test(Invoice {
        order: 7,
        amount_cents: 10,
    });
    let mark = invoice.mark_probe();

    archive(app.state::<Stats>(), invoice).await;

    assert_eq!(app.state::<Stats>().archived.load(Ordering::Relaxed), 1);
    assert_eq!(mark.get(), None, "left to on_success: acked");
}
