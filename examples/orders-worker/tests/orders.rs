//! The orders worker tested as a user tests theirs: the whole worker on the in-memory harness
//! (what becomes of each message, what the HTTP route answers), and the handler called
//! directly.

use std::sync::atomic::Ordering;

use asyncworker::http::StatusCode;
use asyncworker::prelude::*;
use asyncworker::testing::{FateKind, TestWorker};
use orders_worker::{Order, Totals, TotalsView, drain};
use serde_json::json;

fn kinds(w: &TestWorker, queue: &str) -> Vec<FateKind> {
    w.fates(queue).into_iter().map(|f| f.kind).collect()
}

async fn worker() -> TestWorker {
    TestWorker::builder()
        .only_module("orders_worker")
        .start()
        .await
        .expect("the worker starts")
}

#[tokio::test]
async fn orders_are_counted_and_empty_ones_rejected() {
    let w = worker().await;
    w.publish("orders", &json!({"id": 1, "amount_cents": 1250}));
    w.publish("orders", &json!({"id": 2, "amount_cents": 0}));
    w.publish("orders.retry", &json!({"id": 3, "amount_cents": 250}));
    // The bulk is not full: `settled` moves the clock past `bulk_flush` instead of waiting.
    w.settled().await;

    assert_eq!(kinds(&w, "orders"), [FateKind::Acked, FateKind::Rejected]);
    assert_eq!(kinds(&w, "orders.retry"), [FateKind::Acked]);
    let r = w.http().get("/totals").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json::<TotalsView>(),
        TotalsView {
            orders: 2,
            cents: 1500,
            refused: 1
        }
    );
    let ready = w.http().get("/health/ready").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text());
    w.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_an_order_is_rejected_without_reaching_the_handler() {
    let w = worker().await;
    w.publish("orders", &json!({"id": "one"}));
    w.publish_raw("orders", &b"not json"[..], Default::default());
    w.settled().await;

    assert_eq!(
        kinds(&w, "orders"),
        [FateKind::Rejected, FateKind::Rejected]
    );
    let totals: TotalsView = w.http().get("/totals").await.json();
    assert_eq!((totals.orders, totals.refused), (0, 0), "never counted");
    w.stop().await;
}

/// The handler alone: its arguments made by hand, its marks read back.
#[tokio::test]
async fn drain_marks_only_the_orders_with_nothing_to_bill() {
    let app = App::for_tests();
    app.insert(Totals::default()).unwrap();
    let empty = Message::for_test(Order {
        id: 1,
        amount_cents: 0,
    });
    let paid = Message::test_builder(Order {
        id: 2,
        amount_cents: 1250,
    })
    .queue("orders")
    .build();
    let (empty_mark, paid_mark) = (empty.mark_probe(), paid.mark_probe());

    drain(app.state::<Totals>(), vec![empty, paid])
        .await
        .unwrap();

    assert_eq!(empty_mark.get(), Some(Action::Reject));
    assert_eq!(paid_mark.get(), None, "left to on_success: acked");
    let totals = app.state::<Totals>();
    assert_eq!(totals.cents.load(Ordering::Relaxed), 1250);
    assert_eq!(totals.refused.load(Ordering::Relaxed), 1);
}
