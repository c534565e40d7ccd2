//! SQS routes against a local emulator (moto's server, one per test, started by the test
//! support): bulks across two queues, requeue, retries with their delay and the dead-letter
//! queue, the queue's own redrive policy, a handler that outlives the visibility timeout,
//! shutdown with a half-full bucket and past its deadline, FIFO order per group, sending with
//! `app.sqs()`, `--check`, `--asyncapi`, and the emulator unreachable for 10 s mid-stream.
//!
//! The worker is the `aw_sqs` binary: each route prints one line per message it saw.

use std::collections::HashMap;
use std::time::Duration;

use asyncworker_tests::sqs::{Moto, Proxy};
use asyncworker_tests::{Proc, wait_for};
use aws_sdk_sqs::types::QueueAttributeName;

/// Every queue a route of `aw_sqs` reads, sends to or parks in.
const QUEUES: &[&str] = &[
    "sqs-a",
    "sqs-b",
    "sqs-requeue",
    "sqs-retry",
    "sqs-retry-dlq",
    "sqs-redrive-dlq",
    "sqs-slow",
    "sqs-hold",
    "sqs-stuck",
    "sqs-forward",
    "sqs-out",
    "sqs-orders.fifo",
    "sqs-out.fifo",
];

/// A moto of the test's own with every queue of the worker, and the queues' URLs.
struct World {
    moto: Moto,
    urls: HashMap<String, String>,
}

impl World {
    async fn start() -> World {
        let moto = Moto::start().await;
        let mut urls = HashMap::new();
        for q in QUEUES {
            urls.insert((*q).to_owned(), moto.create_queue(q, &[]).await);
        }
        // Two receives, then SQS itself moves the message to `sqs-redrive-dlq`.
        let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:sqs-redrive-dlq","maxReceiveCount":"2"}"#;
        let redrive = moto
            .create_queue(
                "sqs-redrive",
                &[(QueueAttributeName::RedrivePolicy, policy)],
            )
            .await;
        urls.insert("sqs-redrive".to_owned(), redrive);
        World { moto, urls }
    }

    fn url(&self, queue: &str) -> &str {
        &self.urls[queue]
    }

    /// The worker, against the emulator or `endpoint` (a proxy in front of it).
    fn worker(&self, endpoint: Option<&str>, args: &[&str]) -> Proc {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_sqs"));
        cmd.args(args)
            .envs(self.moto.env(endpoint))
            .env("ASYNCWORKER_LOG", "info")
            .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "10s");
        Proc::spawn(cmd)
    }

    async fn send_jobs(&self, queue: &str, ids: std::ops::Range<u64>, group: Option<&str>) {
        self.moto.send(self.url(queue), &jobs(ids), group).await;
    }

    /// Streams `ids` to `queue` as the worker drains it (see [`Moto::feed`]).
    async fn feed_jobs(&self, queue: &str, ids: std::ops::Range<u64>) {
        self.moto.feed(self.url(queue), &jobs(ids), 100).await;
    }
}

/// The JSON bodies of jobs `ids`.
fn jobs(ids: std::ops::Range<u64>) -> Vec<String> {
    ids.map(|id| serde_json::json!({ "id": id }).to_string())
        .collect()
}

/// The stdout lines of `proc` starting with `tag `, split into their words.
fn lines(proc: &Proc, tag: &str) -> Vec<Vec<String>> {
    let prefix = format!("{tag} ");
    proc.stdout()
        .iter()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| rest.split(' ').map(str::to_owned).collect())
        .collect()
}

/// The worker's warnings and errors (its log goes to stdout), for a failure message.
fn warnings(proc: &Proc) -> Vec<String> {
    proc.stdout()
        .into_iter()
        .filter(|l| l.contains("WARN") || l.contains("ERROR") || l.contains("no longer valid"))
        .collect()
}

/// Waits (bounded) until `proc` printed at least `n` lines tagged `tag`.
async fn printed(proc: &Proc, tag: &str, n: usize, limit: Duration) {
    let done = wait_for(limit, || async { lines(proc, tag).len() >= n }).await;
    assert!(
        done,
        "{n} `{tag}` lines not printed within {limit:?}; got {}; stderr: {}",
        lines(proc, tag).len(),
        proc.stderr()
    );
}

/// Waits (bounded) until `queue` has no message waiting or in flight.
async fn empty(world: &World, queue: &str) {
    let url = world.url(queue);
    let done = wait_for(Duration::from_secs(30), || async {
        world.moto.counts(url).await == (0, 0)
    })
    .await;
    assert!(
        done,
        "`{queue}` still has {:?} (waiting, in flight)",
        world.moto.counts(url).await
    );
}

/// SIGTERM, then the exit code (60 s at most).
async fn terminate(proc: &mut Proc) -> Option<i32> {
    proc.signal("TERM");
    proc.wait(Duration::from_secs(60)).await.code()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_messages_on_two_queues_are_each_handled_once_and_deleted() {
    let world = World::start().await;
    let mut worker = world.worker(None, &[]);
    tokio::join!(
        world.feed_jobs("sqs-a", 0..1000),
        world.feed_jobs("sqs-b", 1000..2000)
    );
    printed(&worker, "HANDLED", 2000, Duration::from_secs(180)).await;
    empty(&world, "sqs-a").await;
    empty(&world, "sqs-b").await;
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());

    let mut counts: HashMap<u64, u32> = HashMap::new();
    for l in lines(&worker, "HANDLED") {
        *counts.entry(l[1].parse().expect("id")).or_default() += 1;
    }
    let missing: Vec<u64> = (0..2000).filter(|id| !counts.contains_key(id)).collect();
    let duplicates: u32 = counts.values().map(|c| c - 1).sum();
    assert!(missing.is_empty(), "never handled: {missing:?}");
    assert_eq!(
        duplicates,
        0,
        "handled more than once; {:#?}",
        warnings(&worker)
    );
    let bulks: Vec<usize> = lines(&worker, "BULK")
        .iter()
        .map(|l| l[0].parse().unwrap())
        .collect();
    assert!(
        bulks.iter().all(|&n| (1..=25).contains(&n)),
        "bulks: {bulks:?}"
    );
    assert!(
        bulks.iter().any(|&n| n > 10),
        "no bulk took several receives: {bulks:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requeued_message_is_visible_again_at_once() {
    let world = World::start().await;
    let mut worker = world.worker(None, &[]);
    world.send_jobs("sqs-requeue", 0..1, None).await;
    printed(&worker, "SEEN", 2, Duration::from_secs(30)).await;
    empty(&world, "sqs-requeue").await;
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());
    let seen = lines(&worker, "SEEN");
    let attempts: Vec<&str> = seen.iter().map(|l| l[1].as_str()).collect();
    assert_eq!(attempts, ["1", "2"], "{seen:?}");
    let at = |i: usize| seen[i][2].parse::<u64>().unwrap();
    // Its visibility timeout is 30 s: seen again well before it would have run out.
    assert!(
        at(1) - at(0) < 10_000,
        "requeued only after {} ms",
        at(1) - at(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_come_a_second_apart_then_the_dead_letter_queue() {
    let world = World::start().await;
    let mut worker = world.worker(None, &[]);
    world.send_jobs("sqs-retry", 7..8, None).await;
    printed(&worker, "ATTEMPT", 3, Duration::from_secs(60)).await;
    empty(&world, "sqs-retry").await;
    let parked = wait_for(Duration::from_secs(30), || async {
        world.moto.counts(world.url("sqs-retry-dlq")).await.0 == 1
    })
    .await;
    assert!(parked, "nothing in the dead-letter queue");
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());

    let attempts = lines(&worker, "ATTEMPT");
    let numbers: Vec<&str> = attempts.iter().map(|l| l[1].as_str()).collect();
    assert_eq!(numbers, ["1", "2", "3"], "{attempts:?}");
    let at: Vec<u64> = attempts.iter().map(|l| l[2].parse().unwrap()).collect();
    for gap in [at[1] - at[0], at[2] - at[1]] {
        assert!(
            (900..5000).contains(&gap),
            "attempts {gap} ms apart: {at:?}"
        );
    }
    let dead = world.moto.take_all(world.url("sqs-retry-dlq")).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body(), Some(r#"{"id":7}"#));
    let attribute = |name: &str| {
        dead[0]
            .message_attributes()
            .and_then(|a| a.get(name))
            .and_then(|v| v.string_value())
            .map(str::to_owned)
    };
    assert_eq!(
        attribute("asyncworker-error").as_deref(),
        Some("always fails")
    );
    assert_eq!(attribute("asyncworker-route").as_deref(), Some("retry"));
    assert_eq!(attribute("asyncworker-queue").as_deref(), Some("sqs-retry"));
    assert_eq!(
        lines(&worker, "ATTEMPT").len(),
        3,
        "handled again after dead-lettering"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queues_own_redrive_policy_still_moves_a_failing_message() {
    let world = World::start().await;
    let mut worker = world.worker(None, &[]);
    world.send_jobs("sqs-redrive", 3..4, None).await;
    let moved = wait_for(Duration::from_secs(60), || async {
        world.moto.counts(world.url("sqs-redrive-dlq")).await.0 == 1
    })
    .await;
    assert!(
        moved,
        "not in the redrive target; seen: {:?}",
        lines(&worker, "REDRIVE")
    );
    empty(&world, "sqs-redrive").await;
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());
    let attempts: Vec<String> = lines(&worker, "REDRIVE")
        .iter()
        .map(|l| l[1].clone())
        .collect();
    assert_eq!(attempts, ["1", "2"], "the receive count is the attempt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_running_past_the_visibility_timeout_keeps_its_message() {
    let world = World::start().await;
    let mut worker = world.worker(None, &[]);
    world.send_jobs("sqs-slow", 5..6, None).await;
    // The handler takes 5 s; the message is invisible for 2 s at a time.
    printed(&worker, "DONE", 1, Duration::from_secs(30)).await;
    empty(&world, "sqs-slow").await;
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());
    let starts = lines(&worker, "START");
    assert_eq!(
        starts,
        vec![vec!["5".to_owned(), "1".to_owned()]],
        "received again meanwhile"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_hands_the_half_full_bucket_over_and_deletes_it() {
    let world = World::start().await;
    let mut worker = world.worker(None, &[]);
    world.send_jobs("sqs-hold", 0..30, None).await;
    // All 30 received and held in the bucket (whose flush is 10 minutes away).
    let held = wait_for(Duration::from_secs(30), || async {
        world.moto.counts(world.url("sqs-hold")).await == (0, 30)
    })
    .await;
    assert!(
        held,
        "not all held: {:?}",
        world.moto.counts(world.url("sqs-hold")).await
    );
    assert!(lines(&worker, "HELD").is_empty());
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());
    let mut ids: Vec<u64> = lines(&worker, "HELD")
        .iter()
        .map(|l| l[0].parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..30).collect::<Vec<_>>());
    assert_eq!(
        world.moto.counts(world.url("sqs-hold")).await,
        (0, 0),
        "not deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_shutdown_deadline_the_unfinished_message_is_given_back_at_once() {
    let world = World::start().await;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_sqs"));
    cmd.envs(world.moto.env(None))
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "2s");
    let mut worker = Proc::spawn(cmd);
    world.send_jobs("sqs-stuck", 9..10, None).await;
    printed(&worker, "STUCK", 1, Duration::from_secs(30)).await;
    assert_eq!(world.moto.counts(world.url("sqs-stuck")).await, (0, 1));
    let code = terminate(&mut worker).await;
    assert!(code.is_some(), "killed by a signal");
    // Visible at once, not after its 30 s visibility timeout.
    assert_eq!(
        world.moto.counts(world.url("sqs-stuck")).await,
        (1, 0),
        "the message was not given back; {:#?}",
        worker.stdout()
    );
    let again = world.moto.take_all(world.url("sqs-stuck")).await;
    assert_eq!(again.len(), 1, "lost or duplicated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_groups_keep_their_order() {
    let world = World::start().await;
    // Two groups interleaved: even ids in g0, odd ids in g1, sent in id order.
    let url = world.url("sqs-orders.fifo").to_owned();
    for id in 0..60u64 {
        let body = serde_json::json!({ "id": id }).to_string();
        let group = format!("g{}", id % 2);
        world.moto.send(&url, &[body], Some(&group)).await;
    }
    let mut worker = world.worker(None, &[]);
    printed(&worker, "FIFO", 60, Duration::from_secs(60)).await;
    empty(&world, "sqs-orders.fifo").await;
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());
    for group in ["g0", "g1"] {
        let ids: Vec<u64> = lines(&worker, "FIFO")
            .iter()
            .filter(|l| l[0] == group)
            .map(|l| l[1].parse().unwrap())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids.len(), 30, "{group}: {ids:?}");
        assert_eq!(ids, sorted, "{group} out of order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_sqs_sends_one_a_batch_and_to_fifo_and_reports_a_missing_queue() {
    let world = World::start().await;
    let mut worker = world.worker(None, &[]);
    world.send_jobs("sqs-forward", 4..5, None).await;
    printed(&worker, "REFUSED", 1, Duration::from_secs(30)).await;
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());
    assert_eq!(
        lines(&worker, "REFUSED"),
        vec![vec!["AWS.SimpleQueueService.NonExistentQueue".to_owned()]]
    );
    assert_eq!(lines(&worker, "BATCH"), vec![vec!["12".to_owned()]]);
    let out = world.moto.take_all(world.url("sqs-out")).await;
    assert_eq!(out.len(), 13, "one send and a batch of 12");
    assert!(out.iter().any(|m| m.body() == Some(r#"{"id":4,"tag":""}"#)));
    let fifo = world.moto.take_all(world.url("sqs-out.fifo")).await;
    assert_eq!(fifo.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reads_every_queue_and_names_a_missing_one() {
    let world = World::start().await;
    let mut ok = world.worker(None, &["--check"]);
    assert_eq!(
        ok.wait(Duration::from_secs(60)).await.code(),
        Some(0),
        "{:?}",
        ok.stdout()
    );
    assert!(
        ok.stdout()
            .iter()
            .any(|l| l.contains("sqs retry: dead-letter queue `sqs-retry-dlq` ok"))
    );

    world
        .moto
        .client
        .delete_queue()
        .queue_url(world.url("sqs-b"))
        .send()
        .await
        .unwrap();
    let mut bad = world.worker(None, &["--check"]);
    assert_eq!(
        bad.wait(Duration::from_secs(60)).await.code(),
        Some(1),
        "{:?}",
        bad.stdout()
    );
    let line = bad
        .stdout()
        .into_iter()
        .find(|l| l.contains("sqs-b"))
        .unwrap_or_default();
    assert!(
        line.starts_with("FAIL") && line.contains("NonExistentQueue"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_unreachable_for_ten_seconds_loses_nothing() {
    let world = World::start().await;
    let target = format!("127.0.0.1:{}", world.moto.port).parse().unwrap();
    let proxy = Proxy::start(target).await;
    let mut worker = world.worker(Some(&proxy.url()), &["--check"]);
    assert_eq!(
        worker.wait(Duration::from_secs(60)).await.code(),
        Some(0),
        "through the proxy"
    );
    let mut worker = world.worker(Some(&proxy.url()), &[]);
    world.feed_jobs("sqs-a", 0..200).await;
    printed(&worker, "HANDLED", 100, Duration::from_secs(60)).await;
    proxy.cut();
    // Sent while the worker cannot reach the emulator; the cut lasts 10 s.
    let cut = tokio::time::Instant::now();
    world.send_jobs("sqs-b", 200..400, None).await;
    tokio::time::sleep_until(cut + Duration::from_secs(10)).await;
    proxy.restore().await;

    // Messages whose deletion failed during the cut come back after their visibility timeout
    // (30 s): handled again, which is counted, never lost.
    let all = wait_for(Duration::from_secs(120), || async {
        let seen: std::collections::HashSet<String> = lines(&worker, "HANDLED")
            .into_iter()
            .map(|l| l[1].clone())
            .collect();
        seen.len() == 400
    })
    .await;
    empty(&world, "sqs-a").await;
    empty(&world, "sqs-b").await;
    assert_eq!(terminate(&mut worker).await, Some(0), "{}", worker.stderr());
    let mut counts: HashMap<u64, u32> = HashMap::new();
    for l in lines(&worker, "HANDLED") {
        *counts.entry(l[1].parse().unwrap()).or_default() += 1;
    }
    let missing: Vec<u64> = (0..400).filter(|id| !counts.contains_key(id)).collect();
    let duplicates: u32 = counts.values().map(|c| c - 1).sum();
    eprintln!("emulator cut for 10 s: {duplicates} duplicates of 400 messages");
    assert!(all && missing.is_empty(), "lost: {missing:?}");
    // At most what was held when the link was cut: two bulks of 25, a full channel and a
    // receive.
    assert!(duplicates <= 110, "{duplicates} duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_asyncapi_document_names_every_queue_and_validates() {
    let world = World::start().await;
    let mut doc = world.worker(None, &["--asyncapi"]);
    assert_eq!(
        doc.wait(Duration::from_secs(60)).await.code(),
        Some(0),
        "{}",
        doc.stderr()
    );
    let text = doc.stdout().join("\n");
    let file = asyncworker_tests::tools::temp_file(
        &format!(
            "{}-sqs-asyncapi.json",
            asyncworker_tests::unique_prefix("sqs")
        ),
        &text,
    );
    let (code, report) = asyncworker_tests::tools::validate_asyncapi(&file);
    let _ = std::fs::remove_file(&file);
    assert_eq!(code, Some(0), "{report}");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        doc["servers"]["sqs"]["host"],
        format!("127.0.0.1:{}", world.moto.port)
    );
    let channels = doc["channels"].as_object().expect("channels");
    let addresses: Vec<&str> = channels
        .values()
        .filter_map(|c| c["address"].as_str())
        .collect();
    for queue in [
        "sqs-a",
        "sqs-b",
        "sqs-retry",
        "sqs-orders.fifo",
        "sqs-forward",
    ] {
        assert!(
            addresses.contains(&queue),
            "no channel for {queue}: {addresses:?}"
        );
    }
    let fifo = channels
        .values()
        .find(|c| c["address"] == "sqs-orders.fifo")
        .unwrap();
    assert_eq!(fifo["x-asyncworker-fifo"], true);
    let retry = &doc["operations"]["receive_retry"];
    assert_eq!(
        retry["x-asyncworker-dead-letter"], "sqs-retry-dlq",
        "{retry:#}"
    );
    assert_eq!(retry["x-asyncworker-retries"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_exits_once_every_queue_is_empty() {
    let world = World::start().await;
    world.send_jobs("sqs-a", 0..30, None).await;
    world.send_jobs("sqs-b", 30..40, None).await;
    let mut worker = world.worker(None, &["--drain"]);
    let status = worker.wait(Duration::from_secs(120)).await;
    assert_eq!(status.code(), Some(0), "{:?}", warnings(&worker));
    let mut ids: Vec<u64> = lines(&worker, "HANDLED")
        .iter()
        .map(|l| l[1].parse().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..40).collect::<Vec<_>>(), "each once");
    assert_eq!(world.moto.counts(world.url("sqs-a")).await, (0, 0));
}
