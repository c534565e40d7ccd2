//! A route's `error_handler` against the real broker: what it marks overrides the route's
//! `on_exception` (fates read back from the broker: a parked message is in the dead-letter
//! queue, a requeued one comes back redelivered), and an error handler that panics leaves
//! the route's defaults.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Recorder, Running, job_ids, settings, settled_ready, unique_prefix, wait_until,
};

const N: u64 = 20;

/// Fails every first delivery; handles (records) every redelivery.
async fn fail_first(seen: &Recorder, m: &Message<Job>) -> Result<(), std::io::Error> {
    let id = m.body().id;
    if !m.redelivered() {
        return Err(std::io::Error::other(format!("downstream down for {id}")));
    }
    seen.redelivered(id);
    seen.call(&[id]);
    Ok(())
}

mod parks {
    use super::*;

    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static FAILURES: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());

    /// Parks odd ids and requeues even ones; the route's own default would drop both.
    async fn on_failure(failure: Failure, messages: Vec<Message<Job>>) {
        for m in &messages {
            FAILURES
                .lock()
                .unwrap()
                .push((failure.to_string(), m.body().id));
            if m.body().id % 2 == 1 {
                m.reject();
            } else {
                m.requeue();
            }
        }
    }

    #[route(amqp = ["q"], on_exception = "ack", error_handler = on_failure)]
    async fn handle(m: Message<Job>) -> Result<(), std::io::Error> {
        fail_first(&SEEN, &m).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_handler_parks_some_and_requeues_others() {
    let prefix = unique_prefix("error-handler");
    let (q, dlq) = (format!("{prefix}q"), format!("{prefix}q.dlq"));
    let broker = Broker::connect().await;
    broker.declare_with_dlq(&q, &dlq).await;
    broker.publish_json(&q, &Job::many(N)).await;

    let worker = Running::start(&format!("{}::parks", module_path!()), settings(&prefix));
    let evens: Vec<u64> = (0..N).filter(|id| id % 2 == 0).collect();
    let odds: Vec<u64> = (0..N).filter(|id| id % 2 == 1).collect();
    wait_until(Duration::from_secs(30), "odd ids parked", || async {
        broker.ready(&dlq).await == odds.len() as u32
    })
    .await;
    wait_until(Duration::from_secs(30), "even ids redelivered", || async {
        parks::SEEN.unique() == evens.len()
    })
    .await;
    worker.stop().await.expect("stops cleanly");

    assert_eq!(job_ids(&broker.drain(&dlq).await), odds, "parked");
    let mut handled = parks::SEEN.redelivered_ids();
    handled.sort_unstable();
    assert_eq!(handled, evens, "requeued, then handled once each");
    assert_eq!(parks::SEEN.duplicates(), 0);
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 0);
    let failures = parks::FAILURES.lock().unwrap().clone();
    assert_eq!(failures.len(), N as usize, "one call per first delivery");
    for (text, id) in &failures {
        assert_eq!(text, &format!("downstream down for {id}"));
    }
    broker.delete(&q).await;
    broker.delete(&dlq).await;
}

mod panics {
    use super::*;

    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    /// Parks everything, then panics: its marks must not count.
    async fn on_failure(_failure: Failure, messages: Vec<Message<Job>>) {
        for m in &messages {
            m.reject();
        }
        panic!("the error tracker is down");
    }

    #[route(amqp = ["q"], on_exception = "requeue", error_handler = on_failure)]
    async fn handle(m: Message<Job>) -> Result<(), std::io::Error> {
        fail_first(&SEEN, &m).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_error_handler_leaves_the_routes_defaults() {
    let prefix = unique_prefix("error-handler-panics");
    let (q, dlq) = (format!("{prefix}q"), format!("{prefix}q.dlq"));
    let broker = Broker::connect().await;
    broker.declare_with_dlq(&q, &dlq).await;
    broker.publish_json(&q, &Job::many(N)).await;

    let worker = Running::start(&format!("{}::panics", module_path!()), settings(&prefix));
    wait_until(
        Duration::from_secs(30),
        "every id requeued, then handled",
        || async { panics::SEEN.unique() == N as usize },
    )
    .await;
    worker.stop().await.expect("stops cleanly");

    assert_eq!(
        broker.ready(&dlq).await,
        0,
        "the panicking handler's rejects counted"
    );
    assert_eq!(panics::SEEN.duplicates(), 0);
    assert!(panics::SEEN.missing(N).is_empty());
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 0);
    broker.delete(&q).await;
    broker.delete(&dlq).await;
}

mod undecodable {
    use super::*;

    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    /// (raw body, queue) of every message that did not decode.
    pub static RAW: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

    /// Accepts the bodies that say so; the others keep `on_decode_error` (reject: parked).
    async fn on_failure(failure: Failure, messages: Vec<Message<Job>>) {
        assert!(messages.is_empty(), "no typed message for a decode failure");
        if let Failure::Decode { message, .. } = &failure {
            let body = String::from_utf8_lossy(message.body()).into_owned();
            if body.starts_with("ack-me") {
                message.accept();
            }
            RAW.lock()
                .unwrap()
                .push((body, message.source().to_owned()));
        }
    }

    #[route(amqp = ["q"], error_handler = on_failure)]
    async fn handle(m: Message<Job>) {
        SEEN.call(&[m.body().id]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_message_reaches_the_error_handler_raw() {
    let prefix = unique_prefix("error-handler-decode");
    let (q, dlq) = (format!("{prefix}q"), format!("{prefix}q.dlq"));
    let broker = Broker::connect().await;
    broker.declare_with_dlq(&q, &dlq).await;
    broker
        .publish_raw(&q, [b"ack-me".to_vec(), b"park-me".to_vec()])
        .await;
    broker.publish_json(&q, &Job::many(1)).await;

    let worker = Running::start(
        &format!("{}::undecodable", module_path!()),
        settings(&prefix),
    );
    wait_until(
        Duration::from_secs(30),
        "the job handled, one body parked",
        || async { undecodable::SEEN.unique() == 1 && broker.ready(&dlq).await == 1 },
    )
    .await;
    worker.stop().await.expect("stops cleanly");

    assert_eq!(broker.drain(&dlq).await, [b"park-me".to_vec()]);
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 0);
    let mut raw = undecodable::RAW.lock().unwrap().clone();
    raw.sort();
    assert_eq!(
        raw,
        [
            ("ack-me".to_owned(), q.clone()),
            ("park-me".to_owned(), q.clone())
        ]
    );
    broker.delete(&q).await;
    broker.delete(&dlq).await;
}
