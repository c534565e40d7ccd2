//! Graceful shutdown against the real broker: a bulk in the handler finishes and is acked, a
//! half-full bucket is flushed, work past the deadline is left for redelivery, and the
//! process-level signals (SIGTERM once: graceful, exit 0; twice: exit 130 at once).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Proc, Recorder, Running, broker_counts_async, settings, settled_ready,
    unique_prefix, wait_until,
};

/// Stop while a full bulk is inside the handler.
mod in_handler {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static STARTED: AtomicUsize = AtomicUsize::new(0);

    #[route(amqp = ["q"], bulk_size = 10, bulk_flush = "1h")]
    async fn hold(messages: Vec<Message<Job>>) {
        STARTED.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_while_a_bulk_is_in_the_handler() {
    let prefix = unique_prefix("inhandler");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(10)).await;

    let worker = Running::start(
        &format!("{}::in_handler", module_path!()),
        settings(&prefix),
    );
    wait_until(Duration::from_secs(10), "the handler to start", || async {
        in_handler::STARTED.load(Ordering::SeqCst) == 1
    })
    .await;
    assert!(
        in_handler::SEEN.calls().is_empty(),
        "the handler holds ~1 s"
    );
    let t = Instant::now();
    worker.stop().await.expect("the worker stops cleanly");
    let took = t.elapsed();

    let calls = in_handler::SEEN.calls();
    assert_eq!(calls.len(), 1, "the in-flight bulk must finish: {calls:?}");
    assert_eq!(calls[0].len(), 10, "{calls:?}");
    for id in 0..10 {
        assert_eq!(in_handler::SEEN.count(id), 1, "id {id} handled once");
    }
    // Acked, not requeued: nothing comes back once the worker's channels are gone.
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 0);
    assert_eq!(broker.ready(&q).await, 0);
    println!("stop with a bulk in the handler took {took:?}");
    broker.delete(&q).await;
}

/// Stop while the bucket is far from full and its deadline far away.
mod half_full {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], bulk_size = 100, bulk_flush = "1h")]
    async fn collect(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_flushes_a_half_full_bucket() {
    let prefix = unique_prefix("halffull");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(30)).await;

    let worker = Running::start(&format!("{}::half_full", module_path!()), settings(&prefix));
    wait_until(
        Duration::from_secs(10),
        "the broker to report 30 unacked",
        || async {
            broker_counts_async(&q)
                .await
                .is_some_and(|(r, u, _)| r == 0 && u == 30)
        },
    )
    .await;
    assert!(half_full::SEEN.calls().is_empty(), "nothing can flush yet");
    worker.stop().await.expect("the worker stops cleanly");

    let calls = half_full::SEEN.calls();
    assert_eq!(calls.len(), 1, "one flush at shutdown: {calls:?}");
    let mut ids = calls[0].clone();
    ids.sort_unstable();
    assert_eq!(ids, (0..30).collect::<Vec<u64>>());
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 0);
    broker.delete(&q).await;
}

/// A handler that outlives the shutdown deadline.
mod past_deadline {
    use super::*;
    pub static STARTED: AtomicUsize = AtomicUsize::new(0);
    pub static FINISHED: AtomicUsize = AtomicUsize::new(0);

    #[route(amqp = ["q"])]
    async fn slow(_message: Message<Job>) {
        STARTED.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(60)).await;
        FINISHED.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_past_the_deadline_is_left_for_redelivery() {
    let prefix = unique_prefix("deadline");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(1)).await;

    let mut s = settings(&prefix);
    s.shutdown_timeout = Duration::from_secs(1);
    let worker = Running::start(&format!("{}::past_deadline", module_path!()), s);
    wait_until(Duration::from_secs(10), "the handler to start", || async {
        past_deadline::STARTED.load(Ordering::SeqCst) == 1
    })
    .await;
    let t = Instant::now();
    worker.stop().await.expect("the worker stops cleanly");
    let took = t.elapsed();
    println!("stop with a 60 s handler and a 1 s deadline took {took:?}");
    assert!(
        took < Duration::from_secs(4),
        "stop must give up at the 1 s deadline, took {took:?}"
    );
    assert_eq!(past_deadline::FINISHED.load(Ordering::SeqCst), 0);
    // Not acked: the message is ready again, none lost.
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 1);
    let left = asyncworker_tests::job_ids(&broker.drain(&q).await);
    assert_eq!(left, vec![0]);
    broker.delete(&q).await;
}

fn hold_worker(prefix: &str, hold_ms: u64, shutdown_timeout: &str) -> Proc {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_hold"));
    cmd.env("ASYNCWORKER_AMQP_URL", asyncworker_tests::AMQP_URL)
        .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", prefix)
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", shutdown_timeout)
        .env("ASYNCWORKER_LOG", "info")
        .env("ASYNCWORKER_LOG_FORMAT", "json")
        .env("AW_HOLD_MS", hold_ms.to_string());
    Proc::spawn(cmd)
}

fn handled_ids(stdout: &[String]) -> Vec<u64> {
    let mut ids: Vec<u64> = stdout
        .iter()
        .filter_map(|l| l.strip_prefix("HANDLED "))
        .map(|n| n.trim().parse().expect("an id"))
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_bulk_finishes_the_bulk_and_exits_0() {
    let prefix = unique_prefix("sigterm");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(10)).await;

    let mut worker = hold_worker(&prefix, 1000, "10s");
    wait_until(
        Duration::from_secs(10),
        "the bulk to reach the handler",
        || {
            let began = worker.stdout().iter().any(|l| l == "BEGIN 10");
            async move { began }
        },
    )
    .await;
    assert!(handled_ids(&worker.stdout()).is_empty(), "still holding");
    worker.signal("TERM");
    let t = Instant::now();
    let status = worker.wait(Duration::from_secs(10)).await;
    println!("SIGTERM mid-bulk: exited {status} after {:?}", t.elapsed());
    assert_eq!(status.code(), Some(0), "stderr: {}", worker.stderr());
    assert_eq!(
        handled_ids(&worker.stdout()),
        (0..10).collect::<Vec<u64>>(),
        "every id handled exactly once"
    );
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 0);
    broker.delete(&q).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_sigterm_exits_130_at_once_and_leaves_the_bulk_for_redelivery() {
    let prefix = unique_prefix("sigterm2");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(10)).await;

    let mut worker = hold_worker(&prefix, 60_000, "30s");
    wait_until(
        Duration::from_secs(10),
        "the bulk to reach the handler",
        || {
            let began = worker.stdout().iter().any(|l| l == "BEGIN 10");
            async move { began }
        },
    )
    .await;
    let t = Instant::now();
    worker.signal("TERM");
    // The first signal must have been taken (graceful shutdown begun) before the second.
    wait_until(
        Duration::from_secs(5),
        "the worker to log the first signal",
        || {
            let seen = worker
                .stdout()
                .iter()
                .any(|l| l.contains("signal received"));
            async move { seen }
        },
    )
    .await;
    worker.signal("TERM");
    let status = worker.wait(Duration::from_secs(5)).await;
    let took = t.elapsed();
    println!("double SIGTERM: exited {status} {took:?} after the first signal");
    assert_eq!(status.code(), Some(130), "stderr: {}", worker.stderr());
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(handled_ids(&worker.stdout()).is_empty());
    // Nothing was acked: the broker redelivers the whole bulk.
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 10);
    broker.delete(&q).await;
}
