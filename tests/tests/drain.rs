//! `--drain` on a real binary against the real broker: a queue of 5,000 messages is consumed
//! to the end and the process exits 0 with every message handled once and none left; an empty
//! queue exits at once; a partial bucket is flushed (by `bulk_flush`) before the exit; a
//! missing queue and a worker without AMQP routes fail with exit code 1.

use std::collections::HashMap;
use std::time::Duration;

use asyncworker_tests::{Broker, Job, Proc, unique_prefix};

/// The `--drain` worker on `<prefix>jobs`, with `args`.
fn worker(prefix: &str, args: &[&str]) -> Proc {
    Proc::spawn(command(prefix, args))
}

/// The worker's command line, for a test to add to.
fn command(prefix: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_drain"));
    cmd.args(args)
        .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", prefix)
        .env("ASYNCWORKER_LOG", "info")
        .env("ASYNCWORKER_LOG_FORMAT", "json")
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "10s");
    cmd
}

/// Deletes `jobs` and the queues the worker declared (its `flaky` route's), each on a
/// channel of its own: deleting one that was never made closes the channel.
async fn cleanup(broker: &Broker, prefix: &str) {
    for q in ["flaky", "flaky.retry", "jobs"] {
        let channel = broker.conn.create_channel().await.expect("channel");
        let name = format!("{prefix}{q}");
        let _ = channel
            .queue_delete(name.as_str().into(), Default::default())
            .await;
    }
}

/// How often each id was handled, from the worker's `HANDLED <id>` lines.
fn handled(proc: &Proc) -> HashMap<u64, u32> {
    lines_by_id(proc, "HANDLED ")
}

/// How often each id's line starting with `prefix` was printed.
fn lines_by_id(proc: &Proc, prefix: &str) -> HashMap<u64, u32> {
    let mut counts = HashMap::new();
    for line in proc.stdout() {
        if let Some(id) = line.strip_prefix(prefix) {
            *counts.entry(id.parse().expect("id")).or_default() += 1;
        }
    }
    counts
}

/// The sizes of the handler calls, from the `BULK <n>` lines.
fn bulks(proc: &Proc) -> Vec<usize> {
    let lines = proc.stdout();
    let sizes = lines.iter().filter_map(|l| l.strip_prefix("BULK "));
    sizes.map(|n| n.parse().expect("size")).collect()
}

/// Whether the worker printed `line` exactly.
fn printed(proc: &Proc, line: &str) -> bool {
    proc.stdout().iter().any(|l| l == line)
}

/// A deadline for the process to end, not a speed assertion: far above what it needs.
const EXIT_WITHIN: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drains_5000_messages_then_exits_0_with_each_handled_once() {
    const N: u64 = 5_000;
    let prefix = unique_prefix("drain-5000");
    let queue = format!("{prefix}jobs");
    let broker = Broker::connect().await;
    broker.declare(&queue).await;
    broker.publish_json(&queue, &Job::many(N)).await;

    // With the HTTP server on (any free port): it serves health and metrics meanwhile.
    let mut cmd = command(&prefix, &["--drain"]);
    cmd.env("ASYNCWORKER_HTTP_PORT", "0");
    let mut proc = Proc::spawn(cmd);
    let status = proc.wait(EXIT_WITHIN).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
    let lines = proc.stdout();
    assert!(
        lines.iter().any(|l| l.contains("listening on http://")),
        "the HTTP server did not run: {lines:?}"
    );

    let counts = handled(&proc);
    let missing: Vec<u64> = (0..N).filter(|id| !counts.contains_key(id)).collect();
    let duplicates: u32 = counts.values().map(|c| c - 1).sum();
    assert!(missing.is_empty(), "never handled: {missing:?}");
    assert_eq!(duplicates, 0, "handled more than once");
    assert_eq!(counts.len() as u64, N);
    // Acked, not just handled: anything left unacked would be back in the queue now that
    // the worker's connection is closed.
    assert_eq!(broker.ready(&queue).await, 0, "messages left in the queue");
    // The graceful end: the shutdown hook ran; the schedule was never started.
    assert!(printed(&proc, "SHUTDOWN HOOK"), "{:?}", proc.stdout());
    assert!(!printed(&proc, "TICK"), "--drain started the schedule");
    cleanup(&broker, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_waiting_in_a_retry_queue_is_waited_for() {
    let prefix = unique_prefix("drain-retry");
    let broker = Broker::connect().await;
    broker.declare(&format!("{prefix}jobs")).await;
    // A first run declares `flaky` and its retry queue (the route's own arguments) and, with
    // nothing to do, ends.
    let flaky = format!("{prefix}flaky");
    let mut first = worker(&prefix, &["--drain"]);
    assert_eq!(
        first.wait(EXIT_WITHIN).await.code(),
        Some(0),
        "{}",
        first.stderr()
    );
    broker.publish_json(&flaky, &Job::many(5)).await;
    let mut proc = worker(&prefix, &["--drain"]);
    let status = proc.wait(EXIT_WITHIN).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
    // Each failed once, waited in the retry queue while the main queue was empty, came back
    // and succeeded before the worker stopped.
    let succeeded = lines_by_id(&proc, "FLAKY ");
    assert_eq!(succeeded.len(), 5, "{:?}", proc.stdout());
    assert!(succeeded.values().all(|c| *c == 1), "{succeeded:?}");
    assert_eq!(broker.ready(&flaky).await, 0);
    assert_eq!(broker.ready(&format!("{flaky}.retry")).await, 0);
    cleanup(&broker, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_queue_exits_at_once() {
    let prefix = unique_prefix("drain-empty");
    let queue = format!("{prefix}jobs");
    let broker = Broker::connect().await;
    broker.declare(&queue).await;

    // Set by the environment this time, as a Kubernetes CronJob would.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_drain"));
    cmd.env("ASYNCWORKER_DRAIN", "true")
        .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", &prefix)
        .env("ASYNCWORKER_LOG", "info");
    let mut proc = Proc::spawn(cmd);
    // "At once": it does not wait for messages; the bound only keeps a hung run from hanging
    // the suite.
    let status = proc.wait(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
    assert!(handled(&proc).is_empty());
    assert!(printed(&proc, "SHUTDOWN HOOK"), "{:?}", proc.stdout());
    cleanup(&broker, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_bucket_is_flushed_before_the_exit() {
    let prefix = unique_prefix("drain-partial");
    let queue = format!("{prefix}jobs");
    let broker = Broker::connect().await;
    broker.declare(&queue).await;
    // 7 messages, bulks of 100: they wait in the bucket for `bulk_flush` (500 ms), after the
    // queue is already empty.
    broker.publish_json(&queue, &Job::many(7)).await;

    let mut proc = worker(&prefix, &["--drain"]);
    let status = proc.wait(EXIT_WITHIN).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
    let counts = handled(&proc);
    assert_eq!(counts.len(), 7, "{:?}", proc.stdout());
    assert!(counts.values().all(|c| *c == 1), "{counts:?}");
    // Handed over by the flush deadline, during the run, not by the shutdown: one call of 7
    // that was logged before the drain was declared done.
    assert_eq!(bulks(&proc).iter().sum::<usize>(), 7);
    let lines = proc.stdout();
    let bulk_at = lines
        .iter()
        .position(|l| l.starts_with("BULK "))
        .expect("a bulk");
    let drained_at = lines
        .iter()
        .position(|l| l.contains("drained: every queue is empty"))
        .expect("the drained line");
    assert!(bulk_at < drained_at, "{lines:?}");
    assert_eq!(broker.ready(&queue).await, 0);
    cleanup(&broker, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_queue_fails_the_drain() {
    let prefix = unique_prefix("drain-missing");
    let mut proc = worker(&prefix, &["--drain"]);
    let status = proc.wait(EXIT_WITHIN).await;
    assert_eq!(status.code(), Some(1), "stdout: {:?}", proc.stdout());
    let stderr = proc.stderr();
    assert!(
        stderr.contains(&format!(
            "--drain cannot finish: route `jobs`: queue `{prefix}jobs` does not exist (create it, or set declare = true)"
        )),
        "{stderr}"
    );
    cleanup(&Broker::connect().await, &prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_without_amqp_routes_is_refused() {
    let prefix = unique_prefix("drain-none");
    for only in ["schedule", "http"] {
        let mut proc = worker(&prefix, &["--drain", "--only", only]);
        let status = proc.wait(Duration::from_secs(30)).await;
        assert_eq!(status.code(), Some(1), "--only {only}: {:?}", proc.stdout());
        let stderr = proc.stderr();
        assert!(
            stderr.contains("--drain consumes AMQP routes until their queues are empty, but this worker runs none"),
            "--only {only}: {stderr}"
        );
        assert!(!printed(&proc, "TICK"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_documents_drain_and_it_is_refused_with_check() {
    let mut proc = worker("unused-", &["--help"]);
    assert_eq!(proc.wait(Duration::from_secs(30)).await.code(), Some(0));
    let help = proc.stdout().join("\n");
    assert!(help.contains("[--drain | --routes | --check]"), "{help}");
    assert!(help.contains("--drain      batch run"), "{help}");
    let mut proc = worker("unused-", &["--drain", "--check"]);
    assert_eq!(proc.wait(Duration::from_secs(30)).await.code(), Some(2));
    assert!(
        proc.stderr()
            .contains("--drain runs the worker; it cannot be combined with --routes or --check")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_cannot_attach_fails_the_drain() {
    let prefix = unique_prefix("drain-mismatch");
    let broker = Broker::connect().await;
    broker.declare(&format!("{prefix}jobs")).await;
    // `flaky` exists with an argument its route does not declare: the broker refuses the
    // route's declare (406), so its consumer never attaches.
    let mut args = lapin::types::FieldTable::default();
    args.insert(
        "x-max-length".into(),
        lapin::types::AMQPValue::LongLongInt(10),
    );
    broker.declare_with(&format!("{prefix}flaky"), args).await;
    let mut proc = worker(&prefix, &["--drain"]);
    let status = proc.wait(EXIT_WITHIN).await;
    assert_eq!(status.code(), Some(1), "stdout: {:?}", proc.stdout());
    let stderr = proc.stderr();
    assert!(
        stderr.contains(&format!(
            "--drain cannot finish: route `flaky`: the consumer of `{prefix}flaky` has not attached within 30s"
        )),
        "{stderr}"
    );
    cleanup(&broker, &prefix).await;
}
