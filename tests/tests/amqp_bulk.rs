//! Bulks against the real broker: by size, by deadline, and two queues sharing one bucket.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{Broker, Job, Recorder, Running, settings, unique_prefix, wait_until};

mod by_size {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // The deadline can never fire during the test, so only the size can flush.
    #[route(amqp = ["q"], bulk_size = 10, bulk_flush = "1h")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_by_size() {
    let prefix = unique_prefix("size");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(20)).await;

    let worker = Running::start(&format!("{}::by_size", module_path!()), settings(&prefix));
    wait_until(Duration::from_secs(8), "two bulks of 10", || async {
        by_size::SEEN.unique() == 20
    })
    .await;
    worker.stop().await.unwrap();
    let calls = by_size::SEEN.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.iter().all(|c| c.len() == 10), "{calls:?}");
    assert_eq!(broker.ready(&q).await, 0);
    broker.delete(&q).await;
}

mod by_deadline {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // The bulk can never fill, so only its deadline can hand it over before shutdown.
    #[route(amqp = ["q"], bulk_size = 100, bulk_flush = "300ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

/// A bulk that never fills is handed over once its oldest message waited `bulk_flush`, as one
/// call holding everything that arrived meanwhile (not one call per message).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_by_deadline() {
    let prefix = unique_prefix("deadline");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(3)).await;

    let worker = Running::start(
        &format!("{}::by_deadline", module_path!()),
        settings(&prefix),
    );
    // Waited for while the worker runs: a flush at shutdown would not satisfy it.
    wait_until(
        Duration::from_secs(5),
        "the 3 messages handed over by the deadline",
        || async { by_deadline::SEEN.unique() == 3 },
    )
    .await;
    worker.stop().await.unwrap();
    let calls = by_deadline::SEEN.calls();
    assert_eq!(calls, vec![vec![0, 1, 2]], "one call with all three ids");
    assert_eq!(broker.ready(&q).await, 0, "every message was acked");
    broker.delete(&q).await;
}

mod two_queues {
    use super::*;
    /// `(id, queue)` of each message of one call.
    pub type Call = Vec<(u64, String)>;
    /// One entry per call.
    pub static CALLS: LazyLock<Mutex<Vec<Call>>> = LazyLock::new(|| Mutex::new(Vec::new()));

    #[route(amqp = ["a", "b"], bulk_size = 10, bulk_flush = "1h")]
    async fn handle(messages: Vec<Message<Job>>) {
        let call = messages
            .iter()
            .map(|m| (m.body().id, m.queue().to_owned()))
            .collect();
        CALLS.lock().unwrap().push(call);
    }
}

/// Both queues of a route feed one bucket: 5 + 5 messages fill one bulk of 10, which only
/// happens if the queues share it (each alone could never reach 10, and the deadline is 1 h).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_queues_share_one_bucket() {
    let prefix = unique_prefix("share");
    let (qa, qb) = (format!("{prefix}a"), format!("{prefix}b"));
    let broker = Broker::connect().await;
    broker.declare(&qa).await;
    broker.declare(&qb).await;
    let from_a: Vec<Job> = Job::many(5);
    let from_b: Vec<Job> = (100..105)
        .map(|id| Job {
            id,
            tag: String::new(),
        })
        .collect();
    broker.publish_json(&qa, &from_a).await;
    broker.publish_json(&qb, &from_b).await;

    let worker = Running::start(
        &format!("{}::two_queues", module_path!()),
        settings(&prefix),
    );
    wait_until(Duration::from_secs(5), "one bulk of 10", || async {
        !two_queues::CALLS.lock().unwrap().is_empty()
    })
    .await;
    worker.stop().await.unwrap();

    let calls = two_queues::CALLS.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "exactly one call: {calls:?}");
    let call = &calls[0];
    assert_eq!(call.len(), 10, "{call:?}");
    let mut ids_a: Vec<u64> = call
        .iter()
        .filter(|(_, q)| *q == qa)
        .map(|(id, _)| *id)
        .collect();
    let mut ids_b: Vec<u64> = call
        .iter()
        .filter(|(_, q)| *q == qb)
        .map(|(id, _)| *id)
        .collect();
    ids_a.sort_unstable();
    ids_b.sort_unstable();
    assert_eq!(
        ids_a,
        vec![0, 1, 2, 3, 4],
        "queue() of a's messages: {call:?}"
    );
    assert_eq!(
        ids_b,
        vec![100, 101, 102, 103, 104],
        "queue() of b's messages: {call:?}"
    );
    assert_eq!(broker.ready(&qa).await, 0);
    assert_eq!(broker.ready(&qb).await, 0);
    broker.delete(&qa).await;
    broker.delete(&qb).await;
}
