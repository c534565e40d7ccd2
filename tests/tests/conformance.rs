//! Conformance of the in-memory harness (`asyncworker::testing`) to RabbitMQ: one scenario
//! table, run against the real broker and against the harness with the same handlers and the
//! same inputs, must give every message the same fates (acked, rejected, requeued, retried,
//! dead-lettered), and the same bulks where timing cannot change them.
//!
//! Each scenario is one route of [`scenarios`] (route options are compile-time); the body of
//! each message tells the shared handler what to do with it ([`Cmd`]). The RabbitMQ run is also
//! held to the outcome the table expects, so that a difference says which side is wrong.

mod conformance_support;

use conformance_support::behave::{Cmd, Fail, Mark};
use conformance_support::outcome::{Fate, Outcome, report};
use conformance_support::table::Scenario;
use conformance_support::{harness, rabbitmq};

/// One route per scenario, each calling [`behave`](conformance_support::behave::behave).
mod scenarios {
    use asyncworker::prelude::*;

    use super::conformance_support::behave::{Cmd, behave};

    /// Only the size can hand a bulk over (the deadline is an hour away).
    #[route(amqp = ["size"], bulk_size = 3, bulk_flush = "1h")]
    async fn bulk_by_size(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// Only the deadline can hand a bulk over (it never fills).
    #[route(amqp = ["deadline"], bulk_size = 10, bulk_flush = "200ms")]
    async fn bulk_by_deadline(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// Two queues feed one bucket: only together do they fill it.
    #[route(amqp = ["left", "right"], bulk_size = 4, bulk_flush = "1h")]
    async fn two_queues(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// Undecodable bodies are rejected apart and never take a place in the bulk.
    #[route(amqp = ["undecodable"], bulk_size = 3, bulk_flush = "1h")]
    async fn undecodable(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    #[route(amqp = ["lenient"], bulk_size = 2, bulk_flush = "1h", on_decode_error = "ack")]
    async fn undecodable_acked(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    #[route(amqp = ["panic"], bulk_size = 3, bulk_flush = "100ms")]
    async fn panics(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    #[route(amqp = ["timeout"], bulk_size = 3, bulk_flush = "100ms", timeout = "300ms", on_exception = "reject")]
    async fn times_out(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    #[route(amqp = ["retry"], retries = 2, retry_delay = "200ms", dead_letter = "retry.parking", timeout = "300ms")]
    async fn retries_then_parks(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// Out of retries without a parking queue: rejected. Failed calls of several messages.
    #[route(amqp = ["exhaust"], bulk_size = 3, bulk_flush = "100ms", retries = 1, retry_delay = "200ms")]
    async fn retries_then_rejects(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// Consumes a quorum queue (declared by the run, with its dead-letter target). Its
    /// requeues come back after delays that vary with the load: bulks are not compared.
    #[route(amqp = ["quorum"], bulk_size = 4, bulk_flush = "100ms")]
    async fn quorum(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// Retries through quorum queues (declared by the run).
    #[route(amqp = ["qretry"], retries = 1, retry_delay = "200ms", dead_letter = "qretry.parking")]
    async fn quorum_retries(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// Fed through a topic exchange.
    #[route(amqp = ["routed"], retries = 1, retry_delay = "200ms", dead_letter = "routed.parking")]
    async fn routed(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// Publishes through `app.amqp()`.
    #[route(amqp = ["publish"], bulk_size = 2, bulk_flush = "1h")]
    async fn publishes(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
        behave(&app, messages).await
    }

    /// One route per `on_success` × `on_exception` pair.
    macro_rules! matrix {
        ($($name:ident: $queue:literal, $on_success:literal, $on_exception:literal;)*) => {$(
            #[route(amqp = [$queue], bulk_size = 5, bulk_flush = "100ms", on_success = $on_success, on_exception = $on_exception)]
            async fn $name(app: App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
                behave(&app, messages).await
            }
        )*};
    }

    matrix! {
        matrix_ack_ack: "m-ack-ack", "ack", "ack";
        matrix_ack_reject: "m-ack-reject", "ack", "reject";
        matrix_ack_requeue: "m-ack-requeue", "ack", "requeue";
        matrix_reject_ack: "m-reject-ack", "reject", "ack";
        matrix_reject_reject: "m-reject-reject", "reject", "reject";
        matrix_reject_requeue: "m-reject-requeue", "reject", "requeue";
        matrix_requeue_ack: "m-requeue-ack", "requeue", "ack";
        matrix_requeue_reject: "m-requeue-reject", "requeue", "reject";
        matrix_requeue_requeue: "m-requeue-requeue", "requeue", "requeue";
    }
}

use Fate::{Acked, Rejected, Requeued, Retried};

/// The fates of a message settled once with `action` (a requeued one comes back, and its
/// redelivery is accepted).
fn settled(action: &str) -> Vec<Fate> {
    match action {
        "ack" => vec![Acked],
        "reject" => vec![Rejected],
        "requeue" => vec![Requeued, Acked],
        other => panic!("unknown action {other}"),
    }
}

/// A matrix route: a bulk that succeeds and one that fails, each with every kind of mark.
fn matrix(on_success: &str, on_exception: &str) -> Scenario {
    let route = format!("matrix_{on_success}_{on_exception}");
    let queue = &format!("m-{on_success}-{on_exception}");
    let mut s = Scenario::new(&route, &[queue]);
    for (base, default, fail) in [(0, on_success, None), (5, on_exception, Some(Fail::Error))] {
        let first = Cmd::new(base);
        let first = match fail {
            Some(f) => first.fail(f),
            None => first,
        };
        s = s
            .send(queue, first, &settled(default))
            .send(
                queue,
                Cmd::new(base + 1).mark(Mark::Accept),
                &settled("ack"),
            )
            .send(
                queue,
                Cmd::new(base + 2).mark(Mark::Reject),
                &settled("reject"),
            )
            .send(
                queue,
                Cmd::new(base + 3).mark(Mark::Requeue),
                &settled("requeue"),
            );
        // The last mark wins.
        s = if fail.is_none() {
            let last = Cmd::new(base + 4).mark(Mark::Reject).mark(Mark::Requeue);
            s.send(queue, last, &settled("requeue"))
        } else {
            let last = Cmd::new(base + 4).mark(Mark::Requeue).mark(Mark::Accept);
            s.send(queue, last, &settled("ack"))
        };
    }
    s
}

/// The scenario table (the queue names are those of the routes in [`scenarios`]).
fn table() -> Vec<Scenario> {
    let parked = |q: &str| Fate::DeadLettered(q.to_owned());
    let mut table = vec![
        Scenario::new("bulk_by_size", &["size"])
            .send("size", Cmd::new(0), &[Acked])
            .send("size", Cmd::new(1).mark(Mark::Reject), &[Rejected])
            .send("size", Cmd::new(2), &[Acked])
            .send("size", Cmd::new(3), &[Requeued, Acked])
            .send("size", Cmd::new(4).fail(Fail::Error), &[Requeued, Acked])
            .send(
                "size",
                Cmd::new(5).otherwise(Mark::Reject),
                &[Requeued, Rejected],
            )
            .bulk(&["size:0", "size:1", "size:2"])
            .bulk(&["size:3", "size:4", "size:5"])
            .bulk(&["size:3r", "size:4r", "size:5r"])
            .flushes("size", 3),
        Scenario::new("bulk_by_deadline", &["deadline"])
            .send("deadline", Cmd::new(0), &[Acked])
            .send("deadline", Cmd::new(1), &[Acked])
            .send(
                "deadline",
                Cmd::new(2).mark(Mark::Requeue),
                &[Requeued, Acked],
            )
            .send("deadline", Cmd::new(3), &[Acked])
            .bulk(&["deadline:0", "deadline:1", "deadline:2", "deadline:3"])
            .bulk(&["deadline:2r"])
            .flushes("deadline", 2),
        Scenario::new("two_queues", &["left", "right"])
            .send("left", Cmd::new(0), &[Acked])
            .send("left", Cmd::new(1).mark(Mark::Reject), &[Rejected])
            .send("right", Cmd::new(10), &[Acked])
            .send("right", Cmd::new(11).mark(Mark::Reject), &[Rejected])
            .bulk(&["left:0", "left:1", "right:10", "right:11"])
            .flushes("size", 1),
        Scenario::new("undecodable", &["undecodable"])
            .send("undecodable", Cmd::new(0), &[Acked])
            .send_raw("undecodable", 1, "not json, id=1", &[Rejected])
            .send("undecodable", Cmd::new(2), &[Acked])
            .send_raw(
                "undecodable",
                3,
                r#"{"id": 3, "marks": "all"}"#,
                &[Rejected],
            )
            .send("undecodable", Cmd::new(4), &[Acked])
            .bulk(&["undecodable:0", "undecodable:2", "undecodable:4"])
            .flushes("size", 1),
        Scenario::new("undecodable_acked", &["lenient"])
            .send("lenient", Cmd::new(0), &[Acked])
            .send_raw("lenient", 1, "not json, id=1", &[Acked])
            .send("lenient", Cmd::new(2), &[Acked])
            .bulk(&["lenient:0", "lenient:2"])
            .flushes("size", 1),
        Scenario::new("panics", &["panic"])
            .send("panic", Cmd::new(0).fail(Fail::Panic), &[Requeued, Acked])
            .send("panic", Cmd::new(1).mark(Mark::Accept), &[Acked])
            .send("panic", Cmd::new(2).mark(Mark::Reject), &[Rejected])
            .bulk(&["panic:0", "panic:1", "panic:2"])
            .bulk(&["panic:0r"])
            .flushes("size", 1)
            .flushes("deadline", 1),
        Scenario::new("times_out", &["timeout"])
            .send("timeout", Cmd::new(0).fail(Fail::Sleep), &[Rejected])
            .send(
                "timeout",
                Cmd::new(1).mark(Mark::Requeue),
                &[Requeued, Acked],
            )
            .send("timeout", Cmd::new(2).mark(Mark::Accept), &[Acked])
            .bulk(&["timeout:0", "timeout:1", "timeout:2"])
            .bulk(&["timeout:1r"])
            .flushes("size", 1)
            .flushes("deadline", 1),
        Scenario::new("retries_then_parks", &["retry"])
            .retries(200, Some("retry.parking"))
            .send(
                "retry",
                Cmd::new(0).fail(Fail::Error).upto(3),
                &[Retried(2), Retried(3), parked("retry.parking")],
            )
            .send("retry", Cmd::new(1).fail(Fail::Error), &[Retried(2), Acked])
            .send(
                "retry",
                Cmd::new(2).fail(Fail::Panic).upto(3),
                &[Retried(2), Retried(3), parked("retry.parking")],
            )
            .send(
                "retry",
                Cmd::new(3).fail(Fail::Sleep).upto(2),
                &[Retried(2), Retried(3), Acked],
            )
            .send(
                "retry",
                Cmd::new(4).mark(Mark::Reject).fail(Fail::Error),
                &[Rejected],
            )
            .send(
                "retry",
                Cmd::new(5).mark(Mark::Requeue).fail(Fail::Error),
                &[Requeued, Acked],
            )
            .send(
                "retry",
                Cmd::new(6).mark(Mark::Accept).fail(Fail::Error),
                &[Acked],
            )
            .send_raw("retry", 7, "not json, id=7", &[Rejected])
            .parked(0, 3, "message 0 fails on purpose")
            .parked(2, 3, "handler panicked: message 2 panics on purpose"),
        Scenario::new("retries_then_rejects", &["exhaust"])
            .retries(200, None)
            .send(
                "exhaust",
                Cmd::new(0).fail(Fail::Error).upto(2),
                &[Retried(2), Rejected],
            )
            .send("exhaust", Cmd::new(1).mark(Mark::Accept), &[Acked])
            .send("exhaust", Cmd::new(2), &[Retried(2), Acked]),
        Scenario::new("quorum", &["quorum"])
            .quorum()
            .send(
                "quorum",
                Cmd::new(0).mark(Mark::Requeue),
                &[Requeued, Acked],
            )
            .send("quorum", Cmd::new(1).mark(Mark::Reject), &[Rejected])
            .send("quorum", Cmd::new(2), &[Acked])
            .send(
                "quorum",
                Cmd::new(3).mark(Mark::Requeue).otherwise(Mark::Reject),
                &[Requeued, Rejected],
            ),
        Scenario::new("quorum_retries", &["qretry"])
            .quorum()
            .retries(200, Some("qretry.parking"))
            .send(
                "qretry",
                Cmd::new(0).fail(Fail::Error).upto(2),
                &[Retried(2), parked("qretry.parking")],
            )
            .send(
                "qretry",
                Cmd::new(1).fail(Fail::Error),
                &[Retried(2), Acked],
            )
            .send(
                "qretry",
                Cmd::new(2).mark(Mark::Requeue).fail(Fail::Error),
                &[Requeued, Acked],
            )
            .send(
                "qretry",
                Cmd::new(3).fail(Fail::Error).otherwise(Mark::Reject),
                &[Retried(2), Rejected],
            )
            .parked(0, 2, "message 0 fails on purpose"),
        Scenario::new("routed", &["routed"])
            .topic("events", "order.*")
            .retries(200, Some("routed.parking"))
            .send_via(
                "order.created",
                Cmd::new(0).fail(Fail::Error).upto(2),
                &[Retried(2), parked("routed.parking")],
            )
            .send_via("order.paid", Cmd::new(1).mark(Mark::Reject), &[Rejected])
            .send_via(
                "order.sent",
                Cmd::new(2).mark(Mark::Requeue),
                &[Requeued, Acked],
            )
            .send(
                "routed",
                Cmd::new(3).fail(Fail::Error),
                &[Retried(2), Acked],
            )
            .parked(0, 2, "message 0 fails on purpose"),
        Scenario::new("publishes", &["publish"])
            .send("publish", Cmd::new(0).publish(), &[Acked])
            .send(
                "publish",
                Cmd::new(1).publish().mark(Mark::Reject),
                &[Rejected],
            )
            .send(
                "publish",
                Cmd::new(2).publish().fail(Fail::Error),
                &[Requeued, Acked],
            )
            .send("publish", Cmd::new(3), &[Requeued, Acked])
            .bulk(&["publish:0", "publish:1"])
            .bulk(&["publish:2", "publish:3"])
            .bulk(&["publish:2r", "publish:3r"])
            .flushes("size", 3)
            .published("publish.out", r#"{"id": 0, "attempt": 1}"#)
            .published("publish.out", r#"{"id": 1, "attempt": 1}"#)
            .published("publish.out", r#"{"id": 2, "attempt": 1}"#),
    ];
    for on_success in ["ack", "reject", "requeue"] {
        for on_exception in ["ack", "reject", "requeue"] {
            table.push(matrix(on_success, on_exception));
        }
    }
    table
}

/// What the table states of an outcome: all but the properties.
fn stated(outcomes: &[Outcome]) -> Vec<Outcome> {
    let blank = |o: &Outcome| Outcome {
        properties: Default::default(),
        ..o.clone()
    };
    outcomes.iter().map(blank).collect()
}

/// Both runs, one after the other, each held to the table and to each other; the harness's
/// own account (`fates`, `published`) is held to what its queues show.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_settles_every_message_as_rabbitmq_does() {
    let table = table();
    let module = format!("{}::scenarios", module_path!());
    let expected: Vec<Outcome> = table.iter().map(|s| s.expect.clone()).collect();
    let real = rabbitmq::run(&table, &module).await;
    let on_rabbitmq: Vec<Outcome> = table.iter().map(|s| real.outcome(s)).collect();
    let (seen, reported) = harness::run(&table, &module).await;
    let in_harness: Vec<Outcome> = table.iter().map(|s| seen.outcome(s)).collect();
    let as_reported: Vec<Outcome> = in_harness
        .iter()
        .zip(reported.fates)
        .zip(reported.published)
        .map(|((o, fates), published)| Outcome {
            fates,
            published,
            ..o.clone()
        })
        .collect();
    let report = [
        report(&table, ("rabbitmq", &on_rabbitmq), ("harness", &in_harness)),
        report(
            &table,
            ("table", &expected),
            ("rabbitmq", &stated(&on_rabbitmq)),
        ),
        report(
            &table,
            ("harness", &in_harness),
            ("harness fates()", &as_reported),
        ),
    ]
    .concat();
    assert!(report.is_empty(), "the runs differ:{report}");
}
