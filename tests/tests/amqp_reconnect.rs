//! Fault injection: the broker closes every connection mid-stream
//! (`rabbitmqctl close_all_connections`). The worker must reconnect by itself and lose
//! nothing.
//!
//! This test is alone in its binary on purpose: it kills every connection on the broker, and
//! cargo runs test binaries one after another, so no other test binary is disturbed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, OnceLock};
use std::time::{Duration, Instant};

use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Recorder, Running, settings, settled_ready, unique_prefix, wait_until,
};

const BEFORE: u64 = 3000;
const AFTER: u64 = 1000;
/// The route's prefetch: `max(amqp_prefetch 128, bulk_size 50 * (concurrency 1 + 1))`.
const PREFETCH: u64 = 128;

mod stream {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    /// When the first message delivered on a new connection reached the handler.
    pub static FIRST_AFTER_FAULT: OnceLock<Instant> = OnceLock::new();
    pub static CALLS: AtomicU64 = AtomicU64::new(0);

    // 40 ms per bulk keeps the stream going for a few seconds: `rabbitmqctl` itself takes
    // about a second to start, and with 5 ms per bulk all 3000 were handled before it acted.
    #[route(amqp = ["q"], bulk_size = 50, bulk_flush = "50ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        tokio::time::sleep(Duration::from_millis(40)).await;
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        for m in &messages {
            if m.redelivered() {
                SEEN.redelivered(m.body().id);
            }
            // Nothing is requeued before the fault and ids >= BEFORE are only published
            // after it, so either kind came over a connection opened after the fault.
            if m.redelivered() || m.body().id >= BEFORE {
                FIRST_AFTER_FAULT.get_or_init(Instant::now);
            }
        }
        SEEN.call(&ids);
        CALLS.fetch_add(1, Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_all_connections_mid_stream_loses_nothing() {
    let prefix = unique_prefix("reconnect");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(BEFORE)).await;

    let worker = Running::start(&format!("{}::stream", module_path!()), settings(&prefix));
    wait_until(Duration::from_secs(15), "500 ids handled", || async {
        stream::SEEN.unique() >= 500
    })
    .await;

    // Readiness must drop while the connection is down and come back after recovery.
    let app = worker.app.clone();
    let readiness = tokio::spawn(async move {
        let start = Instant::now();
        let mut dropped = false;
        while start.elapsed() < Duration::from_secs(60) {
            let ready = app.health().is_ready();
            if !ready {
                dropped = true;
            } else if dropped {
                return Ok(start.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Err(if dropped {
            "readiness dropped and never came back"
        } else {
            "readiness never dropped"
        })
    });

    let fault = Instant::now();
    let at_fault = stream::SEEN.unique();
    let out = std::process::Command::new("rabbitmqctl")
        .args(["close_all_connections", "test"])
        .output()
        .expect("rabbitmqctl");
    assert!(
        out.status.success(),
        "rabbitmqctl close_all_connections failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after_command = stream::SEEN.unique();
    println!(
        "fault: {at_fault} unique ids handled when the command started, {after_command} when it \
         returned ({:?})",
        fault.elapsed()
    );
    assert!(
        after_command < BEFORE as usize,
        "the stream was over before the connections were closed; the fault hit nothing"
    );

    // The test's own connection was closed too.
    drop(broker);
    let broker = Broker::connect().await;
    let more: Vec<Job> = (BEFORE..BEFORE + AFTER)
        .map(|id| Job {
            id,
            tag: String::new(),
        })
        .collect();
    broker.publish_json(&q, &more).await;

    let total = BEFORE + AFTER;
    wait_until(
        Duration::from_secs(60),
        "every id to be handled after the fault",
        || async { stream::SEEN.unique() == total as usize },
    )
    .await;
    let all_done = fault.elapsed();
    let recovery = stream::FIRST_AFTER_FAULT
        .get()
        .map(|t| t.duration_since(fault));
    let back = readiness.await.expect("readiness watcher");
    println!("readiness: not ready after the fault, ready again after {back:?}");
    if let Err(e) = back {
        panic!("{e}; not ready: {:?}", worker.app.health().not_ready());
    }
    let metrics = worker.app.metrics().encode();
    worker.stop().await.expect("the worker stops cleanly");

    let missing = stream::SEEN.missing(total);
    let duplicates = stream::SEEN.duplicates();
    println!(
        "close_all_connections: recovery (first delivery on a new connection) {recovery:?}, \
         all {total} ids handled {all_done:?} after the fault, {} handler calls, {duplicates} \
         duplicates, {} redelivered deliveries",
        stream::CALLS.load(Ordering::Relaxed),
        stream::SEEN.redelivered_ids().len()
    );
    assert!(missing.is_empty(), "ids never handled: {missing:?}");
    assert!(recovery.is_some(), "nothing came over a new connection");
    // Only what was in flight at the fault can come twice: at most one prefetch window per
    // consumer channel, with a generous margin.
    assert!(
        duplicates <= 1000,
        "{duplicates} duplicates for one fault (prefetch {PREFETCH})"
    );
    // Every redelivered delivery is counted, and reaches the handler (nothing fails to
    // decode): the counter is what the handler saw flagged, and covers every duplicate.
    let counted = counter(&metrics, "asyncworker_amqp_redelivered_total", &q);
    let flagged = stream::SEEN.redelivered_ids().len() as u64;
    assert_eq!(
        counted, flagged,
        "redelivered counter vs flagged deliveries"
    );
    assert!(flagged > 0, "the fault requeued nothing: {metrics}");
    assert!(
        duplicates <= counted,
        "{duplicates} duplicates but {counted} redelivered deliveries counted"
    );
    assert_eq!(settled_ready(&q, Duration::from_secs(10)).await, 0);
    broker.delete(&q).await;
}

/// The value of `name{route="handle",queue="<queue>"}` in the metrics text, 0 when absent.
fn counter(metrics: &str, name: &str, queue: &str) -> u64 {
    let series = format!("{name}{{route=\"handle\",queue=\"{queue}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |v| v.trim().parse().expect("a counter value"))
}
