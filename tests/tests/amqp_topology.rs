//! Topology as code against the real broker: `bind` feeds a route from topic, headers and
//! fanout exchanges; with `dead_letter`, `reject()` parks the message; and a queue that exists
//! with other arguments (RabbitMQ's 406) is reported in our words, in readiness and in
//! `--check`, while the worker's other routes keep running.
//!
//! Exchange names carry no queue prefix, so each test uses exchanges of its own (`aw-topo-*`),
//! deleted before and after.

use std::sync::LazyLock;
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Proc, Recorder, Running, http_settings, settings, settled_ready, unique_prefix,
    wait_until,
};
use lapin::BasicProperties;
use lapin::options::{BasicPublishOptions, ExchangeDeleteOptions};
use lapin::types::{AMQPValue, FieldTable};

/// A job whose id says whether it should arrive: ids ≥ 100 must not.
fn job(id: u64) -> Vec<u8> {
    serde_json::to_vec(&Job {
        id,
        tag: String::new(),
    })
    .expect("json")
}

/// Publishes `id` to `exchange` with `key` and `headers`, waiting for the confirm.
async fn publish(broker: &Broker, exchange: &str, key: &str, id: u64, headers: FieldTable) {
    let properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_headers(headers);
    let confirm = broker
        .channel
        .basic_publish(
            exchange.into(),
            key.into(),
            BasicPublishOptions::default(),
            &job(id),
            properties,
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
    assert!(confirm.is_ack(), "broker nacked a test message");
}

async fn delete_exchange(broker: &Broker, name: &str) {
    let _ = broker
        .channel
        .exchange_delete(name.into(), ExchangeDeleteOptions::default())
        .await;
}

/// Waits until `seen` has every id of `arrive`, stops the worker, then checks that no id of
/// `stray` came: they were published before the last expected one, through the same channel
/// and exchange, so they would have been routed (and, one at a time, handled) first; and
/// nothing is left in the queue.
async fn arrive_and_not_others(
    worker: Running,
    seen: &Recorder,
    arrive: &[u64],
    stray: &[u64],
    queue: &str,
) {
    wait_until(Duration::from_secs(20), "the bound messages", || async {
        arrive.iter().all(|id| seen.count(*id) == 1)
    })
    .await;
    worker.stop().await.expect("clean stop");
    for id in stray {
        assert_eq!(seen.count(*id), 0, "message {id} must not be routed here");
    }
    assert_eq!(settled_ready(queue, Duration::from_secs(10)).await, 0);
    assert_eq!(seen.duplicates(), 0);
}

/// A string field of the first `x-death` entry of `headers`.
fn death_field(headers: &FieldTable, field: &str) -> String {
    let Some(AMQPValue::FieldArray(deaths)) = headers.inner().get("x-death") else {
        panic!("no x-death in {headers:?}");
    };
    let Some(AMQPValue::FieldTable(first)) = deaths.as_slice().first() else {
        panic!("empty x-death");
    };
    match first.inner().get(field) {
        Some(AMQPValue::LongString(s)) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        other => panic!("x-death {field}: {other:?}"),
    }
}

mod topic {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["orders"], declare = true, bind = ["aw-topo-shop:order.*", "aw-topo-shop:invoice.paid"])]
    async fn orders(m: Message<Job>) {
        SEEN.call(&[m.body().id]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_exchange_with_two_bindings_feeds_one_route() {
    let prefix = unique_prefix("topo-topic");
    let queue = format!("{prefix}orders");
    let broker = Broker::connect().await;
    delete_exchange(&broker, "aw-topo-shop").await;
    let worker = Running::start(&format!("{}::topic", module_path!()), settings(&prefix));
    let app = worker.app.clone();
    wait_until(Duration::from_secs(20), "the route to be ready", || {
        let app = app.clone();
        async move { app.health().is_ready() }
    })
    .await;

    let none = FieldTable::default;
    for (key, id) in [
        ("order.created", 1),
        ("order.created.eu", 100), // `*` is one word
        ("invoice.sent", 101),
        ("invoice.paid", 2),
        ("order.paid", 3),
    ] {
        publish(&broker, "aw-topo-shop", key, id, none()).await;
    }
    arrive_and_not_others(worker, &topic::SEEN, &[1, 2, 3], &[100, 101], &queue).await;
    delete_exchange(&broker, "aw-topo-shop").await;
    broker.delete(&queue).await;
}

mod headers {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["docs"], declare = true, bind = ["aw-topo-docs:"], exchange_type = "headers", bind_headers = ["x-match=all", "kind=order", "region=eu"])]
    async fn docs(m: Message<Job>) {
        SEEN.call(&[m.body().id]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_binding_routes_by_headers() {
    let prefix = unique_prefix("topo-headers");
    let queue = format!("{prefix}docs");
    let broker = Broker::connect().await;
    delete_exchange(&broker, "aw-topo-docs").await;
    let worker = Running::start(&format!("{}::headers", module_path!()), settings(&prefix));
    let app = worker.app.clone();
    wait_until(Duration::from_secs(20), "the route to be ready", || {
        let app = app.clone();
        async move { app.health().is_ready() }
    })
    .await;

    let headers = |pairs: &[(&str, &str)]| {
        let mut t = FieldTable::default();
        for (k, v) in pairs {
            t.insert((*k).into(), AMQPValue::LongString((*v).into()));
        }
        t
    };
    let cases: [(u64, &[(&str, &str)]); 4] = [
        (100, &[("kind", "order")]), // `all`: region missing
        (101, &[("kind", "invoice"), ("region", "eu")]),
        (1, &[("kind", "order"), ("region", "eu")]),
        (2, &[("kind", "order"), ("region", "eu"), ("extra", "x")]),
    ];
    for (id, pairs) in cases {
        publish(&broker, "aw-topo-docs", "ignored", id, headers(pairs)).await;
    }
    arrive_and_not_others(worker, &headers::SEEN, &[1, 2], &[100, 101], &queue).await;
    delete_exchange(&broker, "aw-topo-docs").await;
    broker.delete(&queue).await;
}

mod fanout {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["audit"], declare = true, bind = ["aw-topo-fan:"], exchange_type = "fanout")]
    async fn audit(m: Message<Job>) {
        SEEN.call(&[m.body().id]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fanout_exchange_delivers_whatever_the_key() {
    let prefix = unique_prefix("topo-fanout");
    let queue = format!("{prefix}audit");
    let broker = Broker::connect().await;
    delete_exchange(&broker, "aw-topo-fan").await;
    let worker = Running::start(&format!("{}::fanout", module_path!()), settings(&prefix));
    let app = worker.app.clone();
    wait_until(Duration::from_secs(20), "the route to be ready", || {
        let app = app.clone();
        async move { app.health().is_ready() }
    })
    .await;
    for (key, id) in [("a", 1), ("", 2), ("x.y.z", 3)] {
        publish(&broker, "aw-topo-fan", key, id, FieldTable::default()).await;
    }
    arrive_and_not_others(worker, &fanout::SEEN, &[1, 2, 3], &[], &queue).await;
    delete_exchange(&broker, "aw-topo-fan").await;
    broker.delete(&queue).await;
}

mod rejecting {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    /// No retries: `reject()` goes through the queue's own dead-letter target.
    #[route(amqp = ["jobs"], declare = true, dead_letter = "jobs.parking")]
    async fn rejecting(m: Message<Job>) {
        SEEN.call(&[m.body().id]);
        if m.body().id.is_multiple_of(2) {
            m.reject();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_on_a_declared_queue_with_dead_letter_parks_the_message() {
    let prefix = unique_prefix("topo-reject");
    let (queue, parking) = (format!("{prefix}jobs"), format!("{prefix}jobs.parking"));
    let broker = Broker::connect().await;
    let worker = Running::start(&format!("{}::rejecting", module_path!()), settings(&prefix));
    let app = worker.app.clone();
    wait_until(Duration::from_secs(20), "the route to be ready", || {
        let app = app.clone();
        async move { app.health().is_ready() }
    })
    .await;
    broker.publish_json(&queue, &Job::many(10)).await;
    wait_until(Duration::from_secs(20), "every message handled", || async {
        (0..10).all(|id| rejecting::SEEN.count(id) == 1)
    })
    .await;
    wait_until(
        Duration::from_secs(20),
        "the rejected ones parked",
        || async { broker.ready(&parking).await == 5 },
    )
    .await;
    worker.stop().await.expect("clean stop");
    let parked = broker.take_all(&parking).await;
    let mut ids = asyncworker_tests::job_ids(
        &parked
            .iter()
            .map(|m| m.delivery.data.clone())
            .collect::<Vec<_>>(),
    );
    ids.sort_unstable();
    assert_eq!(ids, [0, 2, 4, 6, 8], "each rejected message parked once");
    // Dead-lettered by the broker: `x-death` says it was rejected from the queue.
    let headers = parked[0]
        .delivery
        .properties
        .headers()
        .clone()
        .unwrap_or_default();
    assert_eq!(death_field(&headers, "reason"), "rejected");
    assert_eq!(death_field(&headers, "queue"), queue);
    assert_eq!(settled_ready(&queue, Duration::from_secs(10)).await, 0);
    assert_eq!(rejecting::SEEN.duplicates(), 0);
    broker.delete(&queue).await;
    broker.delete(&parking).await;
}

mod mismatched {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    /// Declares `capped` without `x-max-length`: the broker has it with 10.
    #[route(amqp = ["capped"], declare = true)]
    async fn capped(_m: Message<Job>) {}

    /// A sound route of the same worker, which keeps running.
    #[route(amqp = ["fine"], declare = true)]
    async fn fine(m: Message<Job>) {
        SEEN.call(&[m.body().id]);
    }
}

/// What the route, `--check` and readiness say about `queue`.
fn mismatch_words(queue: &str) -> String {
    format!(
        "queue `{queue}` exists on the broker with x-max-length = 10, but the route declares it \
         without x-max-length: delete the queue (its messages go with it) or change the route's \
         options to match"
    )
}

async fn declare_capped(broker: &Broker, queue: &str) {
    let mut args = FieldTable::default();
    args.insert("x-max-length".into(), AMQPValue::LongLongInt(10));
    broker.declare_with(queue, args).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatched_arguments_leave_the_route_not_ready_and_say_why() {
    let prefix = unique_prefix("topo-mismatch");
    let (capped, fine) = (format!("{prefix}capped"), format!("{prefix}fine"));
    let broker = Broker::connect().await;
    declare_capped(&broker, &capped).await;
    let worker = Running::start(
        &format!("{}::mismatched", module_path!()),
        http_settings(&prefix),
    );
    let base = format!("http://{}", worker.http_addr().await);
    let part = format!("amqp capped {capped}");
    let expected = mismatch_words(&capped);
    let get = |url: String| async move {
        let res = reqwest::get(url).await.expect("GET");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let body: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        (status, body)
    };
    wait_until(
        Duration::from_secs(20),
        "readiness to name the mismatch",
        || {
            let (get, url, part, expected) =
                (get, format!("{base}/health/ready"), &part, &expected);
            async move {
                let (status, body) = get(url).await;
                status == 503
                    && body["not_ready"] == serde_json::json!([part])
                    && body["reasons"][part] == serde_json::json!(expected)
            }
        },
    )
    .await;
    // The other route runs meanwhile.
    broker.publish_json(&fine, &Job::many(3)).await;
    wait_until(
        Duration::from_secs(20),
        "the sound route's messages",
        || async { (0..3).all(|id| mismatched::SEEN.count(id) == 1) },
    )
    .await;
    assert!(
        !worker.task.is_finished(),
        "a mismatch must not stop the worker"
    );

    // `--check`, in process: the same words.
    let report = asyncworker::Worker::new(settings(&prefix))
        .only_module(&format!("{}::mismatched", module_path!()))
        .check()
        .await
        .expect("routes are valid");
    assert!(!report.is_ok(), "{report}");
    let line = report
        .items()
        .iter()
        .find(|i| i.line.starts_with("amqp capped"))
        .unwrap_or_else(|| panic!("no line for `capped` in {report}"));
    assert!(!line.ok && line.line.contains(&expected), "{}", line.line);
    assert!(
        report
            .items()
            .iter()
            .any(|i| i.ok && i.line.starts_with("amqp fine")),
        "{report}"
    );

    // Once the queue is as the route wants it, the route attaches.
    broker.declare(&capped).await;
    wait_until(
        Duration::from_secs(40),
        "ready once the queue matches",
        || {
            let (get, url) = (get, format!("{base}/health/ready"));
            async move { get(url).await.0 == 200 }
        },
    )
    .await;
    worker.stop().await.expect("clean stop");
    broker.delete(&capped).await;
    broker.delete(&fine).await;
}

/// `--check` on a real binary: exit 1 with the mismatch in our words, 0 once it is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_flag_fails_on_mismatched_arguments() {
    let prefix = unique_prefix("topo-check-bin");
    let capped = format!("{prefix}capped");
    let broker = Broker::connect().await;
    declare_capped(&broker, &capped).await;
    let run = || Proc::check_amqp(env!("CARGO_BIN_EXE_aw_topology"), &prefix);
    let (code, out) = run().await;
    assert_eq!(code, Some(1), "{out:?}");
    let expected = format!("FAIL amqp capped: {}", mismatch_words(&capped));
    assert!(out.iter().any(|l| l == &expected), "{expected}\n{out:?}");
    let counts = asyncworker_tests::broker_counts_async(&capped).await;
    assert!(counts.is_some(), "--check deletes nothing");

    broker.declare(&capped).await;
    let (code, out) = run().await;
    assert_eq!(code, Some(0), "{out:?}");
    broker.delete(&capped).await;
}

mod arguments {
    use super::*;

    #[route(amqp = ["args"], declare = true, queue_type = "quorum", max_length = 5, overflow = "reject-publish", message_ttl = "1h", delivery_limit = 7, single_active = true, dead_letter = "args.parking")]
    async fn arguments(_m: Message<Job>) {}
}

/// Declares `queue` on a channel of its own with `args`: `Ok` only if the broker's queue has
/// exactly these arguments (RabbitMQ compares them, 406 otherwise).
async fn declare_as(broker: &Broker, queue: &str, args: FieldTable) -> Result<(), String> {
    let channel = broker.conn.create_channel().await.expect("channel");
    let options = lapin::options::QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    let result = channel
        .queue_declare(queue.into(), options, args)
        .await
        .map(drop)
        .map_err(|e| e.to_string());
    if result.is_ok() {
        let _ = channel.close(200, "done".into()).await;
    }
    result
}

/// The route's queue carries its arguments on the broker (the broker accepts a declaration
/// with exactly them, and refuses one without); the parking queue keeps only its type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_queues_carry_the_route_arguments() {
    let prefix = unique_prefix("topo-args");
    let (queue, parking) = (format!("{prefix}args"), format!("{prefix}args.parking"));
    let broker = Broker::connect().await;
    let worker = Running::start(&format!("{}::arguments", module_path!()), settings(&prefix));
    let app = worker.app.clone();
    wait_until(Duration::from_secs(20), "the route to be ready", || {
        let app = app.clone();
        async move { app.health().is_ready() }
    })
    .await;
    worker.stop().await.expect("clean stop");

    let long = |s: &str| AMQPValue::LongString(s.into());
    let mut quorum = FieldTable::default();
    quorum.insert("x-queue-type".into(), long("quorum"));
    let mut expected = quorum.clone();
    for (k, v) in [
        ("x-max-length", AMQPValue::LongLongInt(5)),
        ("x-overflow", long("reject-publish")),
        ("x-message-ttl", AMQPValue::LongLongInt(3_600_000)),
        ("x-delivery-limit", AMQPValue::LongLongInt(7)),
        ("x-single-active-consumer", AMQPValue::Boolean(true)),
        ("x-dead-letter-exchange", long("")),
        ("x-dead-letter-routing-key", long(&parking)),
    ] {
        expected.insert(k.into(), v);
    }
    declare_as(&broker, &queue, expected)
        .await
        .expect("the queue has exactly the route's arguments");
    let refused = declare_as(&broker, &queue, quorum.clone()).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("PRECONDITION_FAILED")),
        "{refused:?}"
    );
    declare_as(&broker, &parking, quorum)
        .await
        .expect("the parking queue has only its type");
    broker.delete(&queue).await;
    broker.delete(&parking).await;
}
