//! Delayed retries and dead letters against the real broker (DESIGN §5.4): a failed message
//! goes through `<queue>.retry` (TTL = retry_delay) back to its queue with an attempt header,
//! and after the last retry to the parking queue with headers naming the error, the route and
//! the queue. Every route here declares its topology (`declare = true`).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use asyncworker::amqp::{
    AMQPValue, ATTEMPT_HEADER, ERROR_HEADER, EXCHANGE_HEADER, FieldTable, QUEUE_HEADER,
    ROUTE_HEADER,
};
use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, DeleteOnDrop, Job, Running, broker_counts_async, settings, unique_prefix, wait_for,
    wait_until,
};
use lapin::message::BasicGetMessage;

/// Every handler call: (id, attempt, when).
#[derive(Default)]
struct Attempts(Mutex<Vec<(u64, u32, Instant)>>);

impl Attempts {
    fn record(&self, id: u64, attempt: u32) {
        self.0.lock().unwrap().push((id, attempt, Instant::now()));
    }

    fn of(&self, id: u64) -> Vec<(u32, Instant)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(i, _, _)| *i == id)
            .map(|(_, a, t)| (*a, *t))
            .collect()
    }

    fn count(&self, id: u64) -> usize {
        self.of(id).len()
    }
}

fn header<'a>(h: &'a FieldTable, key: &str) -> &'a AMQPValue {
    h.inner()
        .get(key)
        .unwrap_or_else(|| panic!("header {key} missing; headers: {h:?}"))
}

fn text(v: &AMQPValue) -> String {
    match v {
        AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
        other => panic!("not a string header: {other:?}"),
    }
}

/// Waits until the worker's consumers are attached (the topology is declared by then).
async fn ready(running: &Running) {
    let app = running.app.clone();
    wait_until(Duration::from_secs(20), "the worker is ready", || {
        let app = app.clone();
        async move { app.health().is_ready() }
    })
    .await;
}

mod flaky {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);

    /// Fails the first two attempts, succeeds on the third.
    #[route(amqp = ["flaky"], retries = 3, retry_delay = "1s", dead_letter = "flaky.parking", declare = true)]
    async fn flaky(message: Message<Job>) -> Result<(), String> {
        SEEN.record(message.body().id, message.attempt());
        if message.attempt() < 3 {
            return Err(format!("attempt {} fails on purpose", message.attempt()));
        }
        Ok(())
    }
}

/// Attempts 1, 2, 3 spaced by about `retry_delay` (1 s): the copy waits in `flaky.retry` for
/// its TTL before the broker dead-letters it back. Tolerance: at least 0.9 s (the TTL cannot
/// fire early) and under 5 s (the broker checks expiry at the head of the queue promptly).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_failing_twice_sees_attempts_1_2_3_spaced_by_retry_delay() {
    let prefix = unique_prefix("flaky");
    let _queues = DeleteOnDrop::prefixed(&prefix, ["flaky", "flaky.retry", "flaky.parking"]);
    let queue = format!("{prefix}flaky");
    let running = Running::start(&format!("{}::flaky", module_path!()), settings(&prefix));
    ready(&running).await;
    let broker = Broker::connect().await;
    broker
        .publish_json(
            &queue,
            &[Job {
                id: 7,
                tag: String::new(),
            }],
        )
        .await;

    let seen = wait_for(Duration::from_secs(20), || async {
        flaky::SEEN.count(7) >= 3
    })
    .await;
    let attempts = flaky::SEEN.of(7);
    assert!(
        seen,
        "three attempts expected within 20 s; saw {:?}",
        attempts.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    let numbers: Vec<u32> = attempts.iter().map(|a| a.0).collect();
    assert_eq!(numbers, [1, 2, 3]);
    for pair in attempts.windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!(
            gap >= Duration::from_millis(900) && gap < Duration::from_secs(5),
            "attempts should be about retry_delay (1 s) apart, got {gap:?}"
        );
    }
    running.stop().await.expect("clean stop");
    // The success acked the last copy: nothing waits anywhere.
    for q in [
        queue.clone(),
        format!("{queue}.retry"),
        format!("{prefix}flaky.parking"),
    ] {
        let (ready, unacked, _) = broker_counts_async(&q).await.expect("queue exists");
        assert_eq!((ready, unacked), (0, 0), "{q} should be empty");
    }
}

mod doomed {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);

    /// Never succeeds: id 1 panics, id 2 times out, the others return an error.
    #[route(amqp = ["doomed"], retries = 2, retry_delay = "200ms", dead_letter = "doomed.parking", declare = true, timeout = "300ms")]
    async fn doomed(message: Message<Job>) -> Result<(), String> {
        let id = message.body().id;
        SEEN.record(id, message.attempt());
        match id {
            1 => panic!("job 1 panics on purpose"),
            2 => {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            }
            _ => Err(format!("job {id} is doomed")),
        }
    }
}

/// retries = 2: three attempts (Err, panic and timeout all count), then the parking queue,
/// with headers naming the error, the route, the original queue and the attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_always_fails_ends_in_the_parking_queue_with_headers() {
    let prefix = unique_prefix("doomed");
    let _queues = DeleteOnDrop::prefixed(&prefix, ["doomed", "doomed.retry", "doomed.parking"]);
    let queue = format!("{prefix}doomed");
    let parking = format!("{prefix}doomed.parking");
    let running = Running::start(&format!("{}::doomed", module_path!()), settings(&prefix));
    ready(&running).await;
    let broker = Broker::connect().await;
    broker.publish_json(&queue, &Job::many(3)).await;

    let parked = wait_for(Duration::from_secs(30), || async {
        broker.ready(&parking).await >= 3
    })
    .await;
    assert!(
        parked,
        "3 messages expected in {parking}; attempts seen: {:?}",
        (0..3).map(|id| doomed::SEEN.count(id)).collect::<Vec<_>>()
    );
    running.stop().await.expect("clean stop");

    let mut by_id: HashMap<u64, BasicGetMessage> = HashMap::new();
    for m in broker.take_all(&parking).await {
        let job: Job = serde_json::from_slice(&m.delivery.data).expect("the body is unchanged");
        by_id.insert(job.id, m);
    }
    assert_eq!(by_id.len(), 3, "each message parked exactly once");
    for id in 0..3u64 {
        let attempts: Vec<u32> = doomed::SEEN.of(id).iter().map(|a| a.0).collect();
        assert_eq!(
            attempts,
            [1, 2, 3],
            "job {id}: one first attempt and two retries"
        );
        let m = &by_id[&id];
        let h = m
            .delivery
            .properties
            .headers()
            .as_ref()
            .expect("parked messages carry headers");
        let error = text(header(h, ERROR_HEADER));
        let expected = match id {
            0 => "job 0 is doomed",
            1 => "job 1 panics on purpose",
            _ => "timed out",
        };
        assert!(error.contains(expected), "job {id}: error header {error:?}");
        assert_eq!(text(header(h, ROUTE_HEADER)), "doomed");
        assert_eq!(text(header(h, QUEUE_HEADER)), queue);
        assert_eq!(text(header(h, EXCHANGE_HEADER)), "");
        assert_eq!(header(h, ATTEMPT_HEADER), &AMQPValue::LongLongInt(3));
        assert_eq!(m.delivery.properties.delivery_mode(), &Some(2));
    }
    let (ready, unacked, _) = broker_counts_async(&queue).await.expect("queue exists");
    assert_eq!((ready, unacked), (0, 0), "originals acked once parked");
}

mod partial {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);

    /// First attempt: accepts the even ids and fails the call; retries succeed.
    #[route(amqp = ["partial"], bulk_size = 10, bulk_flush = "300ms", retries = 1, retry_delay = "200ms", dead_letter = "partial.parking", declare = true)]
    async fn partial(messages: Vec<Message<Job>>) -> Result<(), String> {
        let mut first = false;
        for m in &messages {
            SEEN.record(m.body().id, m.attempt());
            if m.attempt() == 1 {
                first = true;
                if m.body().id % 2 == 0 {
                    m.accept();
                }
            }
        }
        if first {
            return Err("the odd ones failed".into());
        }
        Ok(())
    }
}

/// A bulk whose call failed: the messages the handler accepted are acked, only the unmarked
/// ones take the retry path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_failed_messages_of_a_bulk_are_retried() {
    let prefix = unique_prefix("partial");
    let _queues = DeleteOnDrop::prefixed(&prefix, ["partial", "partial.retry", "partial.parking"]);
    let queue = format!("{prefix}partial");
    let running = Running::start(&format!("{}::partial", module_path!()), settings(&prefix));
    ready(&running).await;
    let broker = Broker::connect().await;
    broker.publish_json(&queue, &Job::many(10)).await;

    let done = wait_for(Duration::from_secs(20), || async {
        (1..10).step_by(2).all(|id| partial::SEEN.count(id) >= 2)
    })
    .await;
    assert!(done, "every odd id should be retried once");
    running.stop().await.expect("clean stop");
    for id in 0..10u64 {
        let attempts: Vec<u32> = partial::SEEN.of(id).iter().map(|a| a.0).collect();
        if id % 2 == 0 {
            assert_eq!(attempts, [1], "accepted job {id} must not be retried");
        } else {
            assert_eq!(attempts, [1, 2], "failed job {id} retried once");
        }
    }
    assert_eq!(broker.ready(&format!("{prefix}partial.parking")).await, 0);
    let (ready, unacked, _) = broker_counts_async(&queue).await.expect("queue exists");
    assert_eq!((ready, unacked), (0, 0));
}

mod marked {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);
    pub static REDELIVERED: LazyLock<Mutex<Vec<(u64, u32)>>> = LazyLock::new(Mutex::default);

    /// Id 0 asks for a requeue, id 1 for a reject, id 2 is left to the retry path; the call
    /// fails every first delivery.
    #[route(amqp = ["marked"], bulk_size = 3, bulk_flush = "300ms", retries = 1, retry_delay = "200ms", dead_letter = "marked.parking", declare = true)]
    async fn marked(messages: Vec<Message<Job>>) -> Result<(), String> {
        let mut failing = false;
        for m in &messages {
            let id = m.body().id;
            SEEN.record(id, m.attempt());
            if m.redelivered() {
                REDELIVERED.lock().unwrap().push((id, m.attempt()));
                continue;
            }
            if m.attempt() == 1 {
                failing = true;
                match id {
                    0 => m.requeue(),
                    1 => m.reject(),
                    _ => {}
                }
            }
        }
        if failing {
            return Err("first deliveries fail".into());
        }
        Ok(())
    }
}

/// Per-message marks win over the retry path: a requeued message comes straight back
/// (redelivered, still attempt 1), a rejected one is not retried: the declared queue's own
/// dead-letter target parks it (once), without the retry path's headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requeue_and_reject_marks_win_over_retries() {
    let prefix = unique_prefix("marked");
    let _queues = DeleteOnDrop::prefixed(&prefix, ["marked", "marked.retry", "marked.parking"]);
    let queue = format!("{prefix}marked");
    let running = Running::start(&format!("{}::marked", module_path!()), settings(&prefix));
    ready(&running).await;
    let broker = Broker::connect().await;
    broker.publish_json(&queue, &Job::many(3)).await;

    let done = wait_for(Duration::from_secs(20), || async {
        marked::SEEN.count(0) >= 2 && marked::SEEN.count(2) >= 2
    })
    .await;
    assert!(
        done,
        "job 0 (requeued) and job 2 (retried) should come back"
    );
    let app = running.app.clone();
    running.stop().await.expect("clean stop");
    assert!(
        marked::REDELIVERED.lock().unwrap().contains(&(0, 1)),
        "the requeued job comes back redelivered at attempt 1: {:?}",
        marked::REDELIVERED.lock().unwrap()
    );
    let retried: Vec<u32> = marked::SEEN.of(2).iter().map(|a| a.0).collect();
    assert_eq!(retried, [1, 2], "job 2 took the retry path");
    assert_eq!(
        marked::SEEN.count(1),
        1,
        "the rejected job never comes back"
    );
    let parked = broker.take_all(&format!("{prefix}marked.parking")).await;
    let ids: Vec<u64> = asyncworker_tests::job_ids(
        &parked
            .iter()
            .map(|m| m.delivery.data.clone())
            .collect::<Vec<_>>(),
    );
    assert_eq!(ids, [1], "only the rejected job is parked, by the broker");
    let metrics = app.metrics().encode();
    let retried_line = metrics
        .lines()
        .find(|l| {
            l.starts_with("asyncworker_amqp_retries_total") && l.contains("outcome=\"retried\"")
        })
        .unwrap_or_else(|| panic!("no retried counter in:\n{metrics}"));
    assert!(retried_line.ends_with(" 1"), "{retried_line}");
}

mod quorum {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);

    #[route(amqp = ["qq"], declare = true, queue_type = "quorum", retries = 1, retry_delay = "200ms", dead_letter = "qq.parking")]
    async fn quorum(message: Message<Job>) -> Result<(), String> {
        SEEN.record(message.body().id, message.attempt());
        if message.attempt() == 1 {
            return Err("first attempt fails".into());
        }
        Ok(())
    }
}

/// `declare = true, queue_type = "quorum"`: the queue, its retry queue and its parking queue
/// are created as quorum queues, and a retry cycles through them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declare_creates_quorum_queues_and_retries_through_them() {
    let prefix = unique_prefix("quorum");
    let queue = format!("{prefix}qq");
    let running = Running::start(&format!("{}::quorum", module_path!()), settings(&prefix));
    ready(&running).await;
    let listing = tokio::task::spawn_blocking(|| {
        std::process::Command::new("rabbitmqctl")
            .args([
                "list_queues",
                "-q",
                "--no-table-headers",
                "name",
                "type",
                "arguments",
            ])
            .output()
            .expect("rabbitmqctl")
    })
    .await
    .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    for name in [
        queue.clone(),
        format!("{queue}.retry"),
        format!("{queue}.parking"),
    ] {
        let line = listing
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("{name} was not declared:\n{listing}"));
        assert!(
            line.contains("quorum"),
            "{name} should be a quorum queue: {line}"
        );
        if name.ends_with(".retry") {
            assert!(line.contains("x-message-ttl"), "{line}");
            assert!(line.contains("x-dead-letter-routing-key"), "{line}");
        }
    }
    let broker = Broker::connect().await;
    broker
        .publish_json(
            &queue,
            &[Job {
                id: 1,
                tag: String::new(),
            }],
        )
        .await;
    let done = wait_for(Duration::from_secs(20), || async {
        quorum::SEEN.count(1) >= 2
    })
    .await;
    running.stop().await.expect("clean stop");
    assert!(
        done,
        "the message should be retried once through the quorum retry queue"
    );
    let attempts: Vec<u32> = quorum::SEEN.of(1).iter().map(|a| a.0).collect();
    assert_eq!(attempts, [1, 2]);
    for q in [
        queue.clone(),
        format!("{queue}.retry"),
        format!("{queue}.parking"),
    ] {
        broker.delete(&q).await;
    }
}

mod undeclared {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);

    #[route(amqp = ["plain"], retries = 1, retry_delay = "200ms", dead_letter = "plain.parking")]
    async fn undeclared(message: Message<Job>) -> Result<(), String> {
        SEEN.record(message.body().id, message.attempt());
        if message.attempt() == 1 {
            return Err("first attempt fails".into());
        }
        Ok(())
    }
}

/// Without `declare`, a missing retry queue would make every failure bounce between the
/// handler and a failed republish: the consumer stays detached (and not ready, naming the
/// queue) until the retry and parking queues exist, then retries work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_retry_queue_holds_the_consumer_until_it_exists() {
    let prefix = unique_prefix("undeclared");
    let queue = format!("{prefix}plain");
    let broker = Broker::connect().await;
    broker.declare(&queue).await;
    broker
        .publish_json(
            &queue,
            &[Job {
                id: 4,
                tag: String::new(),
            }],
        )
        .await;
    let running = Running::start(
        &format!("{}::undeclared", module_path!()),
        settings(&prefix),
    );
    // Nothing is consumed while the retry queue is missing.
    let app = running.app.clone();
    wait_until(Duration::from_secs(10), "the worker has started", || {
        let app = app.clone();
        async move { app.health().started() }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !app.health().is_ready(),
        "not ready without the retry queue"
    );
    assert_eq!(undeclared::SEEN.count(4), 0, "nothing consumed yet");
    assert_eq!(broker.ready(&queue).await, 1);

    // The same arguments `declare = true` would use, made by hand (an operator's definitions).
    let mut args = FieldTable::default();
    args.insert("x-message-ttl".into(), AMQPValue::LongLongInt(200));
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString("".into()),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(queue.as_str().into()),
    );
    broker.declare_with(&format!("{queue}.retry"), args).await;
    broker.declare(&format!("{prefix}plain.parking")).await;

    let done = wait_for(Duration::from_secs(30), || async {
        undeclared::SEEN.count(4) >= 2
    })
    .await;
    running.stop().await.expect("clean stop");
    assert!(
        done,
        "once the queues exist the message is consumed and retried"
    );
    let attempts: Vec<u32> = undeclared::SEEN.of(4).iter().map(|a| a.0).collect();
    assert_eq!(attempts, [1, 2]);
    for q in [
        queue.clone(),
        format!("{queue}.retry"),
        format!("{prefix}plain.parking"),
    ] {
        broker.delete(&q).await;
    }
}

mod overridden {
    use super::*;

    #[route(amqp = ["loop"], retries = 1, dead_letter = "loop.parking")]
    async fn overridden(_m: Message<Job>) {}
}

/// Queue overrides come from the environment, out of the macro's sight: a route told to
/// consume its own retry or parking queue is refused at startup, naming both.
#[test]
fn consuming_its_own_retry_or_parking_queue_is_refused_at_startup() {
    let module = format!("{}::overridden", module_path!());
    for (queues, expected) in [
        (vec!["loop", "loop.retry"], "its retry queue `p-loop.retry`"),
        (
            vec!["loop", "loop.parking"],
            "its own dead-letter queue `p-loop.parking`",
        ),
    ] {
        let mut s = settings("p-");
        s.routes.insert(
            "overridden".into(),
            asyncworker::settings::RouteOverride {
                queues: Some(queues.iter().map(|q| (*q).to_owned()).collect()),
                ..Default::default()
            },
        );
        let err = asyncworker::Worker::new(s)
            .only_module(&module)
            .describe_routes()
            .expect_err("the route must be refused");
        let asyncworker::WorkerError::Routes(problems) = &err else {
            panic!("expected WorkerError::Routes, got {err:?}");
        };
        assert_eq!(problems.len(), 1, "{err}");
        assert_eq!(problems[0].route, Some("overridden"), "{err}");
        assert!(problems[0].message.contains(expected), "{err}");
    }
}

mod redeclared {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);

    #[route(amqp = ["again"], declare = true, retries = 1, retry_delay = "200ms")]
    async fn redeclared(message: Message<Job>) {
        SEEN.record(message.body().id, message.attempt());
    }
}

/// `declare = true` declares on every attachment, not just at start: a queue deleted under a
/// running worker (its consumer is cancelled) comes back with its retry queue, and consuming
/// resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_queue_is_declared_again_when_the_consumer_reattaches() {
    let prefix = unique_prefix("redeclare");
    let queue = format!("{prefix}again");
    let running = Running::start(
        &format!("{}::redeclared", module_path!()),
        settings(&prefix),
    );
    ready(&running).await;
    let broker = Broker::connect().await;
    broker.delete(&queue).await;
    broker.delete(&format!("{queue}.retry")).await;
    wait_until(
        Duration::from_secs(30),
        "the queue and its retry queue are declared again",
        || async {
            broker_counts_async(&queue)
                .await
                .is_some_and(|(_, _, consumers)| consumers == 1)
                && broker_counts_async(&format!("{queue}.retry"))
                    .await
                    .is_some()
        },
    )
    .await;
    broker
        .publish_json(
            &queue,
            &[Job {
                id: 9,
                tag: String::new(),
            }],
        )
        .await;
    let seen = wait_for(Duration::from_secs(20), || async {
        redeclared::SEEN.count(9) == 1
    })
    .await;
    running.stop().await.expect("clean stop");
    assert!(seen, "the re-declared queue is consumed");
    for q in [queue.clone(), format!("{queue}.retry")] {
        broker.delete(&q).await;
    }
}

mod tiers {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);

    /// Never succeeds: three retries through two tiers, then the parking queue.
    #[route(amqp = ["tiers"], retries = 3, retry_delay = ["1s", "2s"], dead_letter = "tiers.parking", declare = true)]
    async fn tiers(message: Message<Job>) -> Result<(), String> {
        SEEN.record(message.body().id, message.attempt());
        Err(format!("attempt {} fails on purpose", message.attempt()))
    }
}

/// `retry_delay = ["1s", "2s"]` with `retries = 3`: attempt n waits in tier min(n, 2), so the
/// attempts are at least 1 s, 2 s and 2 s apart (a TTL never fires early; no upper bound is
/// asserted), and the last one parks with its headers. A message carrying the former header
/// `x-asyncworker-attempt = 3` keeps its count: it is attempt 3, retried once from tier 2,
/// and parks as attempt 4 under the new header name only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_tiers_wait_longer_and_the_last_attempt_parks() {
    let prefix = unique_prefix("tiers");
    let queue = format!("{prefix}tiers");
    let parking = format!("{prefix}tiers.parking");
    let running = Running::start(&format!("{}::tiers", module_path!()), settings(&prefix));
    ready(&running).await;
    let broker = Broker::connect().await;
    let job = |id| Job {
        id,
        tag: String::new(),
    };
    broker.publish_json(&queue, &[job(7)]).await;
    let mut legacy = FieldTable::default();
    legacy.insert("x-asyncworker-attempt".into(), AMQPValue::LongLongInt(3));
    let properties = lapin::BasicProperties::default().with_headers(legacy);
    broker.publish_json_with(&queue, &job(8), properties).await;

    let parked = wait_for(Duration::from_secs(30), || async {
        broker.ready(&parking).await >= 2
    })
    .await;
    assert!(
        parked,
        "both messages should park; attempts seen: {:?} {:?}",
        tiers::SEEN.of(7),
        tiers::SEEN.of(8)
    );
    running.stop().await.expect("clean stop");

    let attempts = tiers::SEEN.of(7);
    let numbers: Vec<u32> = attempts.iter().map(|a| a.0).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    let gaps: Vec<Duration> = attempts.windows(2).map(|p| p[1].1 - p[0].1).collect();
    for (gap, tier) in gaps.iter().zip([1000, 2000, 2000]) {
        assert!(
            *gap >= Duration::from_millis(tier - 50),
            "waits should grow by tier (1 s, 2 s, 2 s): {gaps:?}"
        );
    }
    let legacy: Vec<u32> = tiers::SEEN.of(8).iter().map(|a| a.0).collect();
    assert_eq!(legacy, [3, 4], "the old header's count is kept");

    let mut by_id: HashMap<u64, BasicGetMessage> = HashMap::new();
    for m in broker.take_all(&parking).await {
        let job: Job = serde_json::from_slice(&m.delivery.data).expect("the body is unchanged");
        by_id.insert(job.id, m);
    }
    assert_eq!(by_id.len(), 2, "each message parked exactly once");
    for id in [7, 8] {
        let h = by_id[&id]
            .delivery
            .properties
            .headers()
            .clone()
            .expect("parked messages carry headers");
        assert_eq!(ATTEMPT_HEADER, "asyncworker-attempt");
        assert_eq!(header(&h, ATTEMPT_HEADER), &AMQPValue::LongLongInt(4));
        assert!(text(header(&h, ERROR_HEADER)).contains("attempt 4 fails"));
        assert_eq!(text(header(&h, ROUTE_HEADER)), "tiers");
        assert_eq!(text(header(&h, QUEUE_HEADER)), queue);
        assert!(
            !h.inner()
                .keys()
                .any(|k| k.as_str().starts_with("x-asyncworker")),
            "no header under its old name: {h:?}"
        );
    }
    for q in [
        queue.clone(),
        format!("{queue}.retry.1s"),
        format!("{queue}.retry.2s"),
        parking,
    ] {
        let (ready, unacked, _) = broker_counts_async(&q).await.expect("queue exists");
        assert_eq!((ready, unacked), (0, 0), "{q} should be empty");
        broker.delete(&q).await;
    }
}

mod counted {
    use super::*;
    pub static SEEN: LazyLock<Attempts> = LazyLock::new(Attempts::default);

    /// Requeues its message until the third attempt; no retries, so only the broker counts.
    #[route(amqp = ["counted"], declare = true, queue_type = "quorum")]
    async fn counted(message: Message<Job>) {
        SEEN.record(message.body().id, message.attempt());
        if message.attempt() < 3 {
            message.requeue();
        }
    }
}

/// On a quorum queue `Message::attempt()` counts the broker's `x-delivery-count` too: a
/// message requeued twice is seen as attempts 1, 2, 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_counts_a_quorum_queues_deliveries() {
    let prefix = unique_prefix("counted");
    let queue = format!("{prefix}counted");
    let running = Running::start(&format!("{}::counted", module_path!()), settings(&prefix));
    ready(&running).await;
    let broker = Broker::connect().await;
    broker
        .publish_json(
            &queue,
            &[Job {
                id: 3,
                tag: String::new(),
            }],
        )
        .await;
    let done = wait_for(Duration::from_secs(20), || async {
        counted::SEEN.count(3) >= 3
    })
    .await;
    running.stop().await.expect("clean stop");
    let attempts: Vec<u32> = counted::SEEN.of(3).iter().map(|a| a.0).collect();
    assert!(done, "three deliveries expected: {attempts:?}");
    assert_eq!(attempts, [1, 2, 3]);
    let (ready, unacked, _) = broker_counts_async(&queue).await.expect("queue exists");
    assert_eq!((ready, unacked), (0, 0));
    broker.delete(&queue).await;
}
