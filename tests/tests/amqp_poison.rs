//! The poison guard against the real broker: with default options (no `retries`, failed
//! messages requeued) a message that always fails is held a little longer before each
//! requeue and rejected after `max_redeliveries` (20) deliveries, dead-lettered where its
//! queue has a target, while the other messages flow; the worker's CPU while it fails is
//! measured and printed (not asserted).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Running, captured_logs, settings, settled_ready, unique_prefix, wait_for,
};

/// Everything logged in this test binary, to find the guard's error line.
/// This process's CPU time so far (user + system), from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel's USER_HZ, 100 on every Linux this runs on.
    Duration::from_millis(ticks * 10)
}

/// Handler calls per (queue, id).
static SEEN: LazyLock<Mutex<HashMap<(String, u64), u32>>> = LazyLock::new(Mutex::default);

fn seen(queue: &str, id: u64) -> u32 {
    SEEN.lock()
        .unwrap()
        .get(&(queue.to_owned(), id))
        .copied()
        .unwrap_or(0)
}

const GOOD: u64 = 1000;
const POISON: u64 = 1_000_000;

mod poison {
    use super::*;

    /// Default options: one message per call, failed ones requeued. The poison one fails.
    #[route(amqp = ["plain", "dlx", "quorum"])]
    async fn poison(message: Message<Job>) -> Result<(), String> {
        let key = (message.queue().to_owned(), message.body().id);
        *SEEN.lock().unwrap().entry(key).or_default() += 1;
        if message.body().tag == "poison" {
            return Err("poison, on purpose".into());
        }
        Ok(())
    }
}

/// One poison message among 1,000 good ones, on a classic queue (identified by its
/// message id), on one with a dead-letter target (no message id: identified by content) and on
/// a quorum queue (counted by the broker's `x-delivery-count`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_is_slowed_down_then_rejected_while_the_others_flow() {
    captured_logs::capture("error");
    let prefix = unique_prefix("poison");
    let plain = format!("{prefix}plain");
    let dlx = format!("{prefix}dlx");
    let dlq = format!("{prefix}dlx.dead");
    let broker = Broker::connect().await;
    broker.declare(&plain).await;
    broker.declare_with_dlq(&dlx, &dlq).await;
    let quorum = format!("{prefix}quorum");
    let mut args = lapin::types::FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        lapin::types::AMQPValue::LongString("quorum".into()),
    );
    broker.declare_with(&quorum, args).await;
    let poison = Job {
        id: POISON,
        tag: "poison".into(),
    };
    let with_id = lapin::BasicProperties::default().with_message_id("poison-7".into());
    broker.publish_json_with(&plain, &poison, with_id).await;
    for q in [&dlx, &quorum] {
        broker
            .publish_json_with(q, &poison, lapin::BasicProperties::default())
            .await;
    }
    broker.publish_json(&plain, &Job::many(GOOD)).await;
    broker.publish_json(&dlx, &Job::many(GOOD)).await;
    broker.publish_json(&quorum, &Job::many(GOOD)).await;

    let started = Instant::now();
    let running = Running::start(&format!("{}::poison", module_path!()), settings(&prefix));
    let goods = wait_for(Duration::from_secs(60), || async {
        (0..GOOD).all(|id| seen(&plain, id) > 0 && seen(&dlx, id) > 0 && seen(&quorum, id) > 0)
    })
    .await;
    assert!(goods, "every good message should be handled");
    let goods_at = started.elapsed();
    let poison_then = (
        seen(&plain, POISON),
        seen(&dlx, POISON),
        seen(&quorum, POISON),
    );
    let (cpu_from, wall_from) = (cpu_time(), Instant::now());

    // Polled in-process and over AMQP only: rabbitmqctl would load the machine being measured.
    let rejected = wait_for(Duration::from_secs(120), || async {
        seen(&plain, POISON) >= 20
            && seen(&dlx, POISON) >= 20
            && seen(&quorum, POISON) >= 20
            && broker.ready(&dlq).await == 1
    })
    .await;
    let (cpu, wall) = (cpu_time() - cpu_from, wall_from.elapsed());
    let poison_seen = (
        seen(&plain, POISON),
        seen(&dlx, POISON),
        seen(&quorum, POISON),
    );
    let metrics = running.app.metrics().encode();
    running.stop().await.expect("clean stop");
    println!(
        "poison guard: {GOOD} good messages per queue handled after {goods_at:?}, the poison \
         ones seen {poison_then:?} times by then; while they kept failing the worker used \
         {cpu:?} of CPU in {wall:?} ({:.1} % of one core); poison seen {poison_seen:?} times in all",
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9)
    );
    assert!(
        rejected,
        "the poison messages should be rejected; seen {poison_seen:?} times"
    );
    assert_eq!(
        poison_seen,
        (20, 20, 20),
        "seen max_redeliveries times, then rejected"
    );
    for q in [&plain, &dlx, &quorum] {
        let left = settled_ready(q, Duration::from_secs(20)).await;
        assert_eq!(left, 0, "{q}: the poison message is rejected, not requeued");
        let dups: Vec<u64> = (0..GOOD).filter(|&id| seen(q, id) != 1).collect();
        assert!(
            dups.is_empty(),
            "good messages handled more than once in {q}: {dups:?}"
        );
    }
    let dead = broker.take_all(&dlq).await;
    assert_eq!(dead.len(), 1);
    let job: Job = serde_json::from_slice(&dead[0].delivery.data).unwrap();
    assert_eq!(
        job.tag, "poison",
        "the dead-lettered message is the poison one"
    );

    for (outcome, n) in [("held", 19), ("redelivery_limit", 1)] {
        let line = format!(
            "asyncworker_amqp_retries_total{{route=\"poison\",queue=\"{plain}\",outcome=\"{outcome}\"}} {n}"
        );
        assert!(metrics.contains(&line), "{line} in:\n{metrics}");
    }
    let logs = captured_logs::text();
    let line = |queue: &str, id: &str| {
        logs.lines().any(|l| {
            l.contains("rejected")
                && l.contains("route=poison")
                && l.contains(&format!("queue={queue}"))
                && l.contains(&format!("message_id={id}"))
        })
    };
    assert!(
        line(&plain, "poison-7"),
        "an error naming route, queue and id:\n{logs}"
    );
    assert!(line(&dlx, "-"), "an error naming route and queue:\n{logs}");
    assert!(
        line(&quorum, "-"),
        "an error naming route and queue:\n{logs}"
    );
    for q in [&plain, &dlx, &dlq, &quorum] {
        broker.delete(q).await;
    }
}

mod held {
    use super::*;

    /// Always fails: its message is held between deliveries.
    #[route(amqp = ["held"])]
    async fn held(message: Message<Job>) -> Result<(), String> {
        let key = (message.queue().to_owned(), message.body().id);
        *SEEN.lock().unwrap().entry(key).or_default() += 1;
        Err("always".into())
    }
}

/// A graceful stop while the guard holds a delivery: the worker stops cleanly and the message
/// is back in its queue, ready, neither lost nor handled again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_delivery_goes_back_to_its_queue_at_shutdown() {
    captured_logs::capture("error");
    let prefix = unique_prefix("held");
    let queue = format!("{prefix}held");
    let broker = Broker::connect().await;
    broker.declare(&queue).await;
    broker
        .publish_json(
            &queue,
            &[Job {
                id: 5,
                tag: String::new(),
            }],
        )
        .await;
    let running = Running::start(&format!("{}::held", module_path!()), settings(&prefix));
    // By the fifth failure the hold is 0.8 s to 1.6 s long.
    let failing = wait_for(Duration::from_secs(30), || async { seen(&queue, 5) >= 5 }).await;
    assert!(failing, "the message should fail again and again");
    running.stop().await.expect("clean stop");
    let handled = seen(&queue, 5);
    let ready = settled_ready(&queue, Duration::from_secs(20)).await;
    assert_eq!(ready, 1, "the held message is back, ready");
    assert!(handled < 20, "not rejected: {handled} deliveries");
    broker.delete(&queue).await;
}
