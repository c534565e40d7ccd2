//! `app.amqp()` against the real broker: round trips, every way a publish can fail, another
//! vhost, named connections, and many concurrent publishes sharing one channel.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use asyncworker::amqp::{AMQPValue, BasicProperties, FieldTable, PublishError};
use asyncworker::prelude::*;
use asyncworker::{App, Settings, Worker};
use asyncworker_tests::rabbitmqctl::{TempVhost, rabbitmqctl};
use asyncworker_tests::{
    AMQP_URL, Broker, Job, Recorder, Running, job_ids, settings, unique_prefix, wait_for,
    wait_until,
};
use futures_util::stream::{FuturesUnordered, StreamExt};
use lapin::options::{BasicGetOptions, QueueDeclareOptions};
use lapin::{Connection, ConnectionProperties};
use serde::Serialize;

/// Every client connection the broker lists, as (vhost, client-provided connection name).
async fn connections() -> Vec<(String, String)> {
    let text = rabbitmqctl(&[
        "-q",
        "list_connections",
        "vhost",
        "client_properties",
        "--formatter",
        "json",
    ])
    .await;
    let rows: Vec<serde_json::Value> = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("list_connections output is not JSON ({e}): {text}"));
    rows.iter()
        .map(|row| {
            let vhost = row["vhost"].as_str().unwrap_or_default().to_owned();
            let name = connection_name(&row["client_properties"]).unwrap_or_default();
            (vhost, name)
        })
        .collect()
}

/// `connection_name` out of rabbitmqctl's JSON rendering of client properties (a list of
/// `[key, type, value]` triples, or an object, depending on the version).
fn connection_name(props: &serde_json::Value) -> Option<String> {
    match props {
        serde_json::Value::Array(items) => {
            if items.first().and_then(|k| k.as_str()) == Some("connection_name") {
                return items.last().and_then(|v| v.as_str()).map(str::to_owned);
            }
            items.iter().find_map(connection_name)
        }
        serde_json::Value::Object(map) => match map.get("connection_name") {
            Some(v) => v.as_str().map(str::to_owned),
            None => map.values().find_map(connection_name),
        },
        _ => None,
    }
}

/// The names of the broker's client connections to `vhost`.
async fn connections_to(vhost: &str) -> Vec<String> {
    connections()
        .await
        .into_iter()
        .filter(|(v, _)| v == vhost)
        .map(|(_, name)| name)
        .collect()
}

/// Whether the broker lists a connection with this name (any vhost).
async fn connection_named(name: &str) -> bool {
    connections().await.iter().any(|(_, n)| n == name)
}

/// Fetches (and acks) the next ready message of `queue`, if any.
async fn get(broker: &Broker, queue: &str) -> Option<lapin::message::BasicGetMessage> {
    broker
        .channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .expect("basic_get")
}

fn job(id: u64) -> Job {
    Job {
        id,
        tag: String::new(),
    }
}

// --- round trip -----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_and_publish_raw_round_trip_body_and_properties() {
    let prefix = unique_prefix("roundtrip");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    let app = App::for_tests();

    let sent = Job {
        id: 7,
        tag: "héllo \"json\"".into(),
    };
    app.amqp()
        .publish("", &q, &sent)
        .await
        .expect("publish to the default exchange");

    let mut headers = FieldTable::default();
    headers.insert("source".into(), AMQPValue::LongString("billing".into()));
    headers.insert("attempt".into(), AMQPValue::LongInt(3));
    let props = BasicProperties::default()
        .with_content_type("text/csv".into())
        .with_delivery_mode(2)
        .with_headers(headers.clone())
        .with_correlation_id("corr-1".into());
    let raw: &[u8] = b"id,total\n1,20\n\x00\xff";
    app.amqp()
        .publish_raw("", &q, raw, props)
        .await
        .expect("publish_raw to the default exchange");

    let first = get(&broker, &q)
        .await
        .expect("the JSON message is in the queue");
    let p = &first.delivery.properties;
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&first.delivery.data).unwrap(),
        serde_json::to_value(&sent).unwrap(),
        "body: {:?}",
        String::from_utf8_lossy(&first.delivery.data)
    );
    assert_eq!(
        p.content_type().as_ref().map(|c| c.as_str()),
        Some("application/json")
    );
    assert_eq!(
        *p.delivery_mode(),
        Some(2),
        "publish() is persistent by default"
    );

    let second = get(&broker, &q)
        .await
        .expect("the raw message is in the queue");
    let p = &second.delivery.properties;
    assert_eq!(second.delivery.data, raw, "raw bytes arrive untouched");
    assert_eq!(
        p.content_type().as_ref().map(|c| c.as_str()),
        Some("text/csv")
    );
    assert_eq!(*p.delivery_mode(), Some(2));
    assert_eq!(
        p.headers().as_ref(),
        Some(&headers),
        "headers arrive as sent"
    );
    assert_eq!(
        p.correlation_id().as_ref().map(|c| c.as_str()),
        Some("corr-1")
    );
    assert!(
        get(&broker, &q).await.is_none(),
        "exactly two messages were published"
    );
    broker.delete(&q).await;
}

// --- bodies that do not serialize -----------------------------------------------------------

/// A type whose `Serialize` impl always fails.
struct Refuses;

impl Serialize for Refuses {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this value refuses to be serialized",
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_serialize_is_an_error_and_nothing_is_sent() {
    let prefix = unique_prefix("serialize");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    let app = App::for_tests();

    let err = app
        .amqp()
        .publish("", &q, &Refuses)
        .await
        .expect_err("a failing Serialize impl must fail the publish");
    match &err {
        PublishError::Serialize(e) => assert!(e.contains("refuses to be serialized"), "{e}"),
        other => panic!("expected PublishError::Serialize, got {other:?}"),
    }

    // JSON object keys must be strings: a map keyed by tuples does not serialize.
    let mut map: HashMap<(u8, u8), u8> = HashMap::new();
    map.insert((1, 2), 3);
    let err = app
        .amqp()
        .publish("", &q, &map)
        .await
        .expect_err("a map with non-string keys is not JSON");
    assert!(
        matches!(err, PublishError::Serialize(_)),
        "expected Serialize, got {err:?}"
    );
    assert!(err.to_string().contains("serialize"), "{err}");

    // A good publish afterwards, confirmed: had the failed ones sent anything, it would be
    // in the queue ahead of this one.
    app.amqp().publish("", &q, &job(1)).await.expect("publish");
    assert_eq!(
        job_ids(&broker.drain(&q).await),
        vec![1],
        "only the good message reached the queue"
    );
    broker.delete(&q).await;
}

// --- missing exchange -----------------------------------------------------------------------

mod refused {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], bulk_size = 10, bulk_flush = "20ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_exchange_is_refused_and_consumers_and_later_publishes_go_on() {
    let prefix = unique_prefix("refused");
    let q = format!("{prefix}q");
    let missing = format!("{prefix}no-such-exchange");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    let worker = Running::start(&format!("{}::refused", module_path!()), settings(&prefix));
    let app = worker.app.clone();

    // The publisher channel exists and works before the failure.
    for id in 0..50 {
        app.amqp().publish("", &q, &job(id)).await.expect("publish");
    }
    wait_until(Duration::from_secs(15), "ids 0..50 handled", || async {
        refused::SEEN.unique() == 50
    })
    .await;

    let err = app
        .amqp()
        .publish(&missing, "anything", &job(999))
        .await
        .expect_err("publishing to a missing exchange must fail");
    match &err {
        PublishError::Refused { exchange, reason } => {
            assert_eq!(exchange, &missing);
            assert!(reason.contains("NOT_FOUND"), "reason: {reason}");
        }
        other => panic!("expected PublishError::Refused, got {other:?}"),
    }
    assert!(
        err.to_string().contains(&missing),
        "the error names the exchange: {err}"
    );

    // The same app.amqp() publishes again (on a new channel), and the worker's consumer, on
    // its own connection, never noticed.
    for id in 50..100 {
        app.amqp()
            .publish("", &q, &job(id))
            .await
            .expect("a publish after a refused one succeeds");
    }
    wait_until(
        Duration::from_secs(15),
        "ids 50..100 handled after the refused publish",
        || async { refused::SEEN.unique() == 100 },
    )
    .await;
    worker.stop().await.expect("the worker stops cleanly");
    assert!(refused::SEEN.missing(100).is_empty());
    assert_eq!(refused::SEEN.duplicates(), 0, "nothing was redelivered");
    broker.delete(&q).await;
}

/// Publishes share one channel, and the broker closes that channel for a publish to a missing
/// exchange: the publishes pipelined with it must not fail with the other one's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_publish_does_not_fail_publishes_pipelined_with_it() {
    let prefix = unique_prefix("refused-pipelined");
    let q = format!("{prefix}q");
    let missing = format!("{prefix}no-such-exchange");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    let app = App::for_tests();
    app.amqp().publish("", &q, &job(0)).await.expect("warm-up");

    const N: u64 = 600;
    let mut results = Vec::new();
    for round in 0..3 {
        let mut tasks = FuturesUnordered::new();
        for id in 1..=N {
            let (a, queue) = (app.clone(), q.clone());
            tasks.push(tokio::spawn(async move {
                (id, a.amqp().publish("", &queue, &job(id)).await)
            }));
            if id % 200 == 0 {
                let (a, missing) = (app.clone(), missing.clone());
                tasks.push(tokio::spawn(async move {
                    (u64::MAX, a.amqp().publish(&missing, "x", &job(id)).await)
                }));
            }
            if id % 200 == 100 {
                // Refused without naming an exchange: PRECONDITION_FAILED.
                let (a, queue) = (app.clone(), q.clone());
                tasks.push(tokio::spawn(async move {
                    let body = serde_json::to_vec(&job(id)).unwrap();
                    let props = BasicProperties::default()
                        .with_delivery_mode(2)
                        .with_expiration("not-a-number".into());
                    (
                        u64::MAX - 1,
                        a.amqp().publish_raw("", &queue, &body, props).await,
                    )
                }));
            }
        }
        while let Some(r) = tasks.next().await {
            results.push((round, r.expect("publish task panicked")));
        }
    }
    let bad: Vec<_> = results
        .iter()
        .filter(|(_, (id, _))| *id >= u64::MAX - 1)
        .collect();
    let refused = bad
        .iter()
        .filter(|(_, (id, r))| match r {
            Err(PublishError::Refused { exchange, reason }) if *id == u64::MAX => {
                exchange == &missing && reason.contains("NOT_FOUND")
            }
            Err(PublishError::Refused { exchange, reason }) => {
                exchange.is_empty() && reason.contains("expiration")
            }
            _ => false,
        })
        .count();
    assert_eq!(
        refused, 18,
        "every publish to the missing exchange and every one with an invalid expiration is \
         refused: {bad:?}"
    );
    let failed: Vec<_> = results
        .iter()
        .filter(|(_, (id, r))| *id < u64::MAX - 1 && r.is_err())
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} good publishes failed because another publish on their channel was refused, \
         e.g. {:?}",
        failed.len(),
        3 * N,
        failed.iter().take(3).collect::<Vec<_>>()
    );
    // Every good message is in the queue (a re-sent one may be there twice), and no refused
    // one.
    let mut ids = job_ids(&broker.drain(&q).await);
    let total = ids.len();
    ids.dedup();
    assert_eq!(ids, (0..=N).collect::<Vec<_>>());
    println!(
        "refused-pipelined: {} messages in the queue for {} distinct ids",
        total,
        N + 1
    );
    broker.delete(&q).await;
}

// --- mandatory ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mandatory_publish_without_a_queue_is_unroutable() {
    let prefix = unique_prefix("mandatory");
    let q = format!("{prefix}q");
    let nowhere = format!("{prefix}no-queue");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    let app = App::for_tests();

    let err = app
        .amqp()
        .mandatory()
        .publish("", &nowhere, &job(1))
        .await
        .expect_err("a mandatory publish that matches no queue must fail");
    match &err {
        PublishError::Unroutable {
            exchange,
            routing_key,
            reply,
        } => {
            assert_eq!(exchange, "");
            assert_eq!(routing_key, &nowhere);
            assert!(
                reply.contains("312") && reply.contains("NO_ROUTE"),
                "{reply}"
            );
        }
        other => panic!("expected PublishError::Unroutable, got {other:?}"),
    }
    app.amqp()
        .publish("", &nowhere, &job(2))
        .await
        .expect("without mandatory the broker confirms an unroutable message (and drops it)");

    // Mandatory does not fail a routable message.
    app.amqp()
        .mandatory()
        .publish("", &q, &job(3))
        .await
        .expect("a routable mandatory publish succeeds");
    assert_eq!(job_ids(&broker.drain(&q).await), vec![3]);
    broker.delete(&q).await;
}

/// A queue and a routing key that matches no queue, for concurrent mandatory publishes to
/// both.
struct Mandatory {
    q: String,
    nowhere: String,
    broker: Broker,
    app: App,
    /// How many publishes have finished (not counting aborted ones).
    done: Arc<AtomicU64>,
}

type Published = (u64, Result<(), PublishError>);

impl Mandatory {
    async fn new(test: &str) -> Mandatory {
        let prefix = unique_prefix(test);
        let broker = Broker::connect().await;
        let q = format!("{prefix}q");
        broker.declare(&q).await;
        Mandatory {
            q,
            nowhere: format!("{prefix}no-queue"),
            broker,
            app: App::for_tests(),
            done: Arc::default(),
        }
    }

    /// Starts `n` mandatory publishes at once, publish `i` carrying `job(body(i))`, to nowhere
    /// when `unroutable(i)`, else to the queue.
    fn publish_all(
        &self,
        n: u64,
        unroutable: impl Fn(u64) -> bool,
        body: impl Fn(u64) -> u64,
    ) -> Vec<tokio::task::JoinHandle<Published>> {
        (0..n)
            .map(|i| {
                let (app, done) = (self.app.clone(), Arc::clone(&self.done));
                let key = if unroutable(i) {
                    &self.nowhere
                } else {
                    &self.q
                }
                .clone();
                let job = job(body(i));
                tokio::spawn(async move {
                    let result = app.amqp().mandatory().publish("", &key, &job).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    (i, result)
                })
            })
            .collect()
    }
}

/// The broker returns an unroutable message and then acks it, possibly in one `multiple` ack
/// with others: every concurrent mandatory publish must still get its own outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_mandatory_publishes_each_get_their_own_outcome() {
    let m = Mandatory::new("mandatory-mix").await;
    const N: u64 = 1000;
    let mut wrong = Vec::new();
    for task in m.publish_all(N, |id| id % 3 == 0, |id| id) {
        let (id, result) = task.await.expect("publish task panicked");
        let ok = match (id % 3 == 0, &result) {
            (true, Err(PublishError::Unroutable { routing_key, .. })) => routing_key == &m.nowhere,
            (false, Ok(())) => true,
            _ => false,
        };
        if !ok {
            wrong.push((id, result));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {N} publishes got the wrong outcome, e.g. {:?}",
        wrong.len(),
        wrong.iter().take(5).collect::<Vec<_>>()
    );
    let mut ids = job_ids(&m.broker.drain(&m.q).await);
    ids.dedup();
    assert_eq!(ids, (0..N).filter(|i| i % 3 != 0).collect::<Vec<_>>());
    m.broker.delete(&m.q).await;
}

/// Identical messages (same body, same properties) to a queue and to nowhere, concurrently:
/// a returned message is matched to its publish by its routing key too, so each publish still
/// gets its own outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_mandatory_messages_to_two_keys_each_get_their_own_outcome() {
    let m = Mandatory::new("mandatory-same").await;
    const N: u64 = 600;
    let (mut returned, mut kept, mut wrong) = (0, 0, Vec::new());
    for task in m.publish_all(N, |i| i % 2 == 0, |_| 7) {
        match task.await.expect("publish task panicked") {
            (i, Err(PublishError::Unroutable { routing_key, .. })) if i % 2 == 0 => {
                assert_eq!(routing_key, m.nowhere);
                returned += 1;
            }
            (i, Ok(())) if i % 2 == 1 => kept += 1,
            other => wrong.push(other),
        }
    }
    assert!(
        wrong.is_empty(),
        "wrong outcomes: {:?}",
        &wrong[..wrong.len().min(5)]
    );
    assert_eq!((returned, kept), (N / 2, N / 2));
    // Every routable copy arrived (and, with no publish lost, none twice).
    assert_eq!(
        job_ids(&m.broker.drain(&m.q).await),
        vec![7; (N / 2) as usize]
    );
    m.broker.delete(&m.q).await;
}

/// Mandatory publishes abandoned mid-flight (their tasks aborted) leave their waves unable to
/// vouch for the others: those publish again rather than report a returned message as kept.
/// Every publish that finished has the right outcome, and every routable one that finished
/// is in the queue (duplicates are counted, not forbidden).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_mandatory_publishes_never_cost_another_its_outcome() {
    let m = Mandatory::new("mandatory-abandon").await;
    const N: u64 = 1000;
    let handles = m.publish_all(N, |id| id % 3 == 0, |id| id);
    // Abort every seventh once the first waves are confirmed and later ones are in flight.
    wait_until(
        Duration::from_secs(30),
        "the first publishes finish",
        || {
            let done = Arc::clone(&m.done);
            async move { done.load(Ordering::Relaxed) > 0 }
        },
    )
    .await;
    for (id, handle) in handles.iter().enumerate() {
        if id % 7 == 0 {
            handle.abort();
        }
    }
    let mut finished_routable = Vec::new();
    let mut wrong = Vec::new();
    for handle in handles {
        let Ok((id, result)) = handle.await else {
            continue; // aborted
        };
        match (id % 3 == 0, result) {
            (true, Err(PublishError::Unroutable { .. })) => {}
            (false, Ok(())) => finished_routable.push(id),
            (_, other) => wrong.push((id, other)),
        }
    }
    assert!(
        wrong.is_empty(),
        "wrong outcomes: {:?}",
        &wrong[..wrong.len().min(5)]
    );
    let arrived = job_ids(&m.broker.drain(&m.q).await);
    let mut distinct = arrived.clone();
    distinct.dedup();
    let missing: Vec<_> = finished_routable
        .iter()
        .filter(|id| distinct.binary_search(id).is_err())
        .collect();
    assert!(
        missing.is_empty(),
        "confirmed but not in the queue: {missing:?}"
    );
    assert!(
        distinct.iter().all(|id| id % 3 != 0),
        "an unroutable message arrived"
    );
    println!(
        "abandoned: {} finished routable, {} arrived ({} duplicates)",
        finished_routable.len(),
        arrived.len(),
        arrived.len() - distinct.len()
    );
    m.broker.delete(&m.q).await;
}

// --- another vhost --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_vhost_gets_exactly_one_extra_connection() {
    let prefix = unique_prefix("vhost");
    let vhost = format!("{prefix}vh");
    let _guard = TempVhost::create(&vhost).await;
    let q = "orders";

    let test_conn = Connection::connect(
        &format!("amqp://guest:guest@127.0.0.1:5672/{vhost}"),
        ConnectionProperties::default().with_connection_name(format!("{prefix}test").into()),
    )
    .await
    .expect("the test connects to its vhost");
    let ch = test_conn.create_channel().await.expect("channel");
    ch.queue_declare(
        q.into(),
        QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        },
        FieldTable::default(),
    )
    .await
    .expect("declare the queue in the vhost");

    let app = App::for_tests();
    let amqp = app.amqp();
    // The first publish opens the connection; two more race to reuse it.
    amqp.vhost(&vhost)
        .publish("", q, &job(0))
        .await
        .expect("publish to the other vhost");
    let (one, two) = (amqp.vhost(&vhost), app.amqp().vhost(&vhost));
    let (j1, j2) = (job(1), job(2));
    let (a, b) = tokio::join!(one.publish("", q, &j1), two.publish("", q, &j2));
    a.expect("second publish");
    b.expect("third publish");

    let mut ids = Vec::new();
    while let Some(m) = ch
        .basic_get(q.into(), BasicGetOptions { no_ack: true })
        .await
        .expect("basic_get")
    {
        ids.push(serde_json::from_slice::<Job>(&m.delivery.data).unwrap().id);
    }
    ids.sort_unstable();
    assert_eq!(ids, vec![0, 1, 2], "all three arrived in the other vhost");
    test_conn
        .close(200, "bye".into())
        .await
        .expect("close the test connection");

    // The broker lists connections asynchronously: wait until the test's own connection is
    // gone and the publisher's is there; two publisher connections would never match.
    let expected = vec![format!("asyncworker publisher default vhost={vhost}")];
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let last = loop {
        let listed = connections_to(&vhost).await;
        if listed == expected || std::time::Instant::now() > deadline {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        last, expected,
        "exactly one connection to vhost {vhost}: the publisher's (polled for 15 s)"
    );
}

// --- named connections ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_connection_publishes_and_an_unknown_name_names_its_variable() {
    let prefix = unique_prefix("named");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    // A name unique to this run, so that the connection listed below is this test's.
    let name = format!("other{}", std::process::id());
    let mut s: Settings = settings(&prefix);
    s.amqp_connections
        .insert(name.clone(), vec![AMQP_URL.to_owned()]);
    let app = Worker::new(s).app();

    app.amqp()
        .connection(&name)
        .publish("", &q, &job(5))
        .await
        .expect("publish over the named connection");
    assert_eq!(job_ids(&broker.drain(&q).await), vec![5]);
    let label = format!("asyncworker publisher {name}");
    let listed = wait_for(Duration::from_secs(15), || connection_named(&label)).await;
    assert!(listed, "the broker lists no connection named {label:?}");

    let unknown = format!("nowhere-{}", std::process::id());
    let var = format!("ASYNCWORKER_AMQP_NOWHERE_{}_URL", std::process::id());
    assert!(std::env::var(&var).is_err(), "{var} must not be set");
    let err = app
        .amqp()
        .connection(&unknown)
        .publish("", &q, &job(6))
        .await
        .expect_err("an unknown connection name must fail");
    match &err {
        PublishError::Connection(e) => assert!(e.contains(&var), "{e}"),
        other => panic!("expected PublishError::Connection, got {other:?}"),
    }
    assert!(err.to_string().contains(&var), "{err}");
    assert_eq!(broker.ready(&q).await, 0, "nothing was sent");
    broker.delete(&q).await;
}

// --- many concurrent publishes --------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_publishes_are_all_confirmed_and_all_arrive() {
    let prefix = unique_prefix("concurrent");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    let app = App::for_tests();

    const N: u64 = 2000;
    let mut tasks = FuturesUnordered::new();
    for id in 0..N {
        let (app, q) = (app.clone(), q.clone());
        tasks.push(tokio::spawn(async move {
            app.amqp().publish("", &q, &job(id)).await
        }));
    }
    let mut errors = Vec::new();
    while let Some(r) = tasks.next().await {
        if let Err(e) = r.expect("publish task panicked") {
            errors.push(e);
        }
    }
    assert!(
        errors.is_empty(),
        "{} publishes failed: {:?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    // Every publish was confirmed, so every message is already in the queue.
    assert_eq!(u64::from(broker.ready(&q).await), N);
    assert_eq!(job_ids(&broker.drain(&q).await), (0..N).collect::<Vec<_>>());
    broker.delete(&q).await;
}
