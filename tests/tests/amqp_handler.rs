//! How handler calls are run against the real broker: panics, the concurrency limit and the
//! timeout.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{Broker, Job, Recorder, Running, settings, unique_prefix, wait_until};

mod panics {
    use super::*;
    /// Ids whose first delivery made the handler panic.
    pub static PANICKED: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    /// Ids handled to the end (first delivery or redelivery).
    pub static HANDLED: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // Defaults: bulk_size 1, on_exception = requeue.
    #[route(amqp = ["q"])]
    async fn handle(messages: Vec<Message<Job>>) {
        for m in &messages {
            let id = m.body().id;
            if m.redelivered() {
                HANDLED.redelivered(id);
            } else if m.body().tag == "panic" {
                PANICKED.call(&[id]);
                panic!("handler panics on purpose for id {id}");
            }
            HANDLED.call(&[id]);
        }
    }
}

fn job(id: u64, tag: &str) -> Job {
    Job {
        id,
        tag: tag.to_owned(),
    }
}

/// A panic is caught and handled like an error (requeue by default): the message comes back
/// redelivered and is handled, and the consumer goes on with messages published afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_handler_requeues_and_keeps_consuming() {
    let prefix = unique_prefix("panic");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &[job(0, "panic")]).await;

    let worker = Running::start(&format!("{}::panics", module_path!()), settings(&prefix));
    wait_until(
        Duration::from_secs(5),
        "id 0 panicked, then was handled on redelivery",
        || async { panics::PANICKED.count(0) == 1 && panics::HANDLED.count(0) == 1 },
    )
    .await;

    // Published only now that the panic was observed: the consumer must still be alive.
    broker
        .publish_json(&q, &[job(1, ""), job(2, "panic"), job(3, "")])
        .await;
    wait_until(
        Duration::from_secs(5),
        "ids 1..=3 handled after the panic",
        || async { panics::HANDLED.unique() == 4 },
    )
    .await;
    worker.stop().await.unwrap();

    assert_eq!(panics::PANICKED.calls(), vec![vec![0], vec![2]]);
    let mut redelivered = panics::HANDLED.redelivered_ids();
    redelivered.sort_unstable();
    assert_eq!(redelivered, vec![0, 2], "only the panicked ones came back");
    for id in 0..4 {
        assert_eq!(panics::HANDLED.count(id), 1, "id {id} handled exactly once");
    }
    assert_eq!(broker.ready(&q).await, 0);
    broker.delete(&q).await;
}

/// Tracks handler calls in flight and the most seen at once.
pub struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl InFlight {
    const fn new() -> InFlight {
        InFlight {
            now: AtomicUsize::new(0),
            max: AtomicUsize::new(0),
        }
    }

    /// Holds a slot for 100 ms, long enough for calls to overlap if they are allowed to.
    async fn hold(&self) {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }
}

mod concurrency_two {
    use super::*;
    pub static FLIGHT: InFlight = InFlight::new();
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], bulk_size = 1, concurrency = 2)]
    async fn handle(messages: Vec<Message<Job>>) {
        FLIGHT.hold().await;
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

mod concurrency_one {
    use super::*;
    pub static FLIGHT: InFlight = InFlight::new();
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], bulk_size = 1, concurrency = 1)]
    async fn handle(messages: Vec<Message<Job>>) {
        FLIGHT.hold().await;
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

async fn run_concurrency(module: &str, flight: &InFlight, seen: &Recorder) -> usize {
    let prefix = unique_prefix(module);
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    // All 12 are ready at once: the only thing keeping calls apart is the limit.
    broker.publish_json(&q, &Job::many(12)).await;

    let worker = Running::start(&format!("{}::{module}", module_path!()), settings(&prefix));
    wait_until(Duration::from_secs(5), "12 messages handled", || async {
        seen.unique() == 12
    })
    .await;
    worker.stop().await.unwrap();
    assert_eq!(seen.duplicates(), 0);
    assert_eq!(broker.ready(&q).await, 0);
    broker.delete(&q).await;
    flight.max()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_two_runs_two_calls_at_once() {
    let max = run_concurrency(
        "concurrency_two",
        &concurrency_two::FLIGHT,
        &concurrency_two::SEEN,
    )
    .await;
    assert_eq!(
        max, 2,
        "at most, and at some point exactly, 2 calls in flight"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_one_runs_calls_one_at_a_time() {
    let max = run_concurrency(
        "concurrency_one",
        &concurrency_one::FLIGHT,
        &concurrency_one::SEEN,
    )
    .await;
    assert_eq!(max, 1, "never two calls in flight");
}

mod timeout {
    use super::*;
    pub static FIRST: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // on_exception defaults to requeue, which also applies to a timed-out call.
    #[route(amqp = ["q"], timeout = "200ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        for m in &messages {
            let id = m.body().id;
            if m.redelivered() {
                SEEN.redelivered(id);
                SEEN.call(&[id]);
            } else {
                FIRST.call(&[id]);
                // Far beyond the test's wait: only the timeout can end this call in time.
                tokio::time::sleep(Duration::from_secs(30)).await;
                SEEN.call(&[id]);
            }
        }
    }
}

/// A call running past `timeout` is abandoned and its message requeued; the redelivery is
/// handled long before the 30 s the first call would have taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_call_is_requeued() {
    let prefix = unique_prefix("timeout");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &[job(7, "")]).await;

    let worker = Running::start(&format!("{}::timeout", module_path!()), settings(&prefix));
    wait_until(
        Duration::from_secs(5),
        "id 7 handled on its redelivery after the timeout",
        || async { timeout::SEEN.count(7) == 1 },
    )
    .await;
    worker.stop().await.unwrap();

    assert_eq!(timeout::FIRST.calls(), vec![vec![7]], "one first delivery");
    assert_eq!(
        timeout::SEEN.redelivered_ids(),
        vec![7],
        "it came back redelivered"
    );
    assert_eq!(timeout::SEEN.count(7), 1, "handled once, by the redelivery");
    assert_eq!(broker.ready(&q).await, 0);
    broker.delete(&q).await;
}
