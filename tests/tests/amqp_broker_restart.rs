//! Fault injection: the broker application is stopped and started again
//! (`rabbitmqctl stop_app` / `start_app`) while a worker consumes 10,000 messages from queue A
//! and republishes each one to queue B with `app.amqp().publish`. The worker's consumer and
//! publisher must both come back by themselves, and nothing may be lost on either queue;
//! duplicates are counted and reported, with the recovery time.
//!
//! This test is alone in its binary on purpose: it stops the whole broker, and cargo runs test
//! binaries one after another, so no other test binary of this crate is disturbed.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{LazyLock, OnceLock};
use std::time::{Duration, Instant};

use asyncworker::amqp::PublishError;
use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Recorder, Running, broker_counts_async, settings, settled_ready, unique_prefix,
    wait_until,
};
use futures_util::future::join_all;

const N: u64 = 10_000;
/// The fault is injected once this many ids were handled.
const FAULT_AT: usize = 2_000;
/// How long the broker application stays stopped.
const OUTAGE: Duration = Duration::from_secs(2);

mod relay {
    use super::*;

    /// Ids whose bulk was republished to B (and then returned Ok), per handler call.
    pub static HANDLED: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    /// Handler calls that returned an error (a publish failed; the bulk is requeued).
    pub static FAILED_CALLS: AtomicU64 = AtomicU64::new(0);
    /// Set once `start_app` returned.
    pub static RESTARTED: AtomicBool = AtomicBool::new(false);
    /// When a handler call first succeeded after `start_app` returned.
    pub static FIRST_AFTER_RESTART: OnceLock<Instant> = OnceLock::new();
    /// Queue B's full name.
    pub static B: OnceLock<String> = OnceLock::new();

    // 20 ms per bulk keeps the stream going for several seconds, so that the broker stops in
    // the middle of it (`rabbitmqctl` itself takes about a second to act).
    #[route(amqp = ["a"], bulk_size = 50, bulk_flush = "50ms")]
    async fn relay(app: App, messages: Vec<Message<Job>>) -> Result<(), PublishError> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let b = B.get().expect("queue B is set before the worker starts");
        let amqp = app.amqp();
        // Pipelined: every publish of the bulk in flight at once, each awaiting its confirm.
        let results = join_all(messages.iter().map(|m| amqp.publish("", b, m.body()))).await;
        if let Some(error) = results.into_iter().find_map(Result::err) {
            FAILED_CALLS.fetch_add(1, Ordering::Relaxed);
            return Err(error);
        }
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        HANDLED.call(&ids);
        if RESTARTED.load(Ordering::Acquire) {
            FIRST_AFTER_RESTART.get_or_init(Instant::now);
        }
        Ok(())
    }
}

/// Runs `rabbitmqctl ARGS`, bounded by `timeout(1)`; returns whether it succeeded.
fn rabbitmqctl(args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new("timeout")
        .arg("120")
        .arg("rabbitmqctl")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run rabbitmqctl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "rabbitmqctl {args:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

async fn rabbitmqctl_async(args: &'static [&'static str]) -> Result<(), String> {
    tokio::task::spawn_blocking(move || rabbitmqctl(args))
        .await
        .expect("rabbitmqctl task panicked")
}

/// Restarts the broker application when dropped unless [`BrokerOutage::start`] did, so that a
/// failing test never leaves the broker stopped.
struct BrokerOutage {
    started: bool,
}

impl BrokerOutage {
    async fn start(&mut self) {
        rabbitmqctl_async(&["start_app"])
            .await
            .expect("rabbitmqctl start_app");
        self.started = true;
    }
}

impl Drop for BrokerOutage {
    fn drop(&mut self) {
        if !self.started
            && let Err(e) = rabbitmqctl(&["start_app"])
        {
            eprintln!("could not restart the broker application: {e}");
        }
    }
}

/// A test connection, retried while the broker is starting (bounded).
async fn connect_when_up(limit: Duration) -> Broker {
    let start = Instant::now();
    loop {
        let attempt = tokio::time::timeout(
            Duration::from_secs(10),
            lapin::Connection::connect(
                asyncworker_tests::AMQP_URL,
                lapin::ConnectionProperties::default(),
            ),
        )
        .await;
        if let Ok(Ok(conn)) = attempt {
            drop(conn);
            return Broker::connect().await;
        }
        assert!(
            start.elapsed() < limit,
            "the broker did not accept connections within {limit:?} of start_app"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Deletes the test's queues when dropped (also when the test failed).
struct DeleteQueues(Vec<String>);

impl Drop for DeleteQueues {
    fn drop(&mut self) {
        for q in &self.0 {
            let _ = rabbitmqctl(&["-q", "delete_queue", q]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_while_consuming_and_republishing_loses_nothing() {
    let prefix = unique_prefix("restart");
    let a = format!("{prefix}a");
    let b = format!("{prefix}b");
    relay::B.set(b.clone()).expect("B is set once");
    let _cleanup = DeleteQueues(vec![a.clone(), b.clone()]);
    let broker = Broker::connect().await;
    broker.declare(&a).await;
    broker.declare(&b).await;
    broker.publish_json(&a, &Job::many(N)).await;
    drop(broker);

    let worker = Running::start(&format!("{}::relay", module_path!()), settings(&prefix));
    wait_until(
        Duration::from_secs(60),
        "2,000 ids handled before the fault",
        || async { relay::HANDLED.unique() >= FAULT_AT },
    )
    .await;

    // --- the fault ---------------------------------------------------------------------
    let mut outage = BrokerOutage { started: false };
    let stop = Instant::now();
    let at_stop = relay::HANDLED.unique();
    rabbitmqctl_async(&["stop_app"])
        .await
        .expect("rabbitmqctl stop_app");
    let stopped = stop.elapsed();
    let at_stopped = relay::HANDLED.unique();
    tokio::time::sleep(OUTAGE).await;
    outage.start().await;
    let started = stop.elapsed();
    relay::RESTARTED.store(true, Ordering::Release);
    println!(
        "broker restart: stop_app at {at_stop} handled, took {stopped:?} ({at_stopped} handled \
         when it returned); start_app returned {started:?} after the stop"
    );
    assert!(
        at_stopped < N as usize,
        "every id was handled before the broker stopped: the fault hit nothing"
    );

    // --- recovery ----------------------------------------------------------------------
    let broker = connect_when_up(Duration::from_secs(60)).await;
    // Until everything is relayed (at most 300 s), failing early if nothing moved for 60 s.
    let (mut last_report, mut last_progress, mut last_handled) =
        (Instant::now(), Instant::now(), 0);
    let outcome = loop {
        let (handled, ready_a, ready_b) = (
            relay::HANDLED.unique(),
            broker.ready(&a).await,
            broker.ready(&b).await,
        );
        if handled == N as usize && ready_a == 0 && u64::from(ready_b) >= N {
            break Ok(());
        }
        if handled != last_handled {
            (last_handled, last_progress) = (handled, Instant::now());
        }
        if last_report.elapsed() >= Duration::from_secs(10) {
            last_report = Instant::now();
            println!(
                "broker restart: {:.0} s after the stop: {handled} handled, {} failed calls, A \
                 ready {ready_a}, B ready {ready_b}",
                stop.elapsed().as_secs_f64(),
                relay::FAILED_CALLS.load(Ordering::Relaxed)
            );
        }
        if last_progress.elapsed() >= Duration::from_secs(60) {
            break Err(format!(
                "no id handled for 60 s ({handled} handled, A ready {ready_a}): the worker did \
                 not resume consuming after the broker restart"
            ));
        }
        if stop.elapsed() >= Duration::from_secs(300) {
            break Err(format!(
                "not everything relayed within 300 s ({handled} handled)"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if let Err(why) = outcome {
        let counts = (broker_counts_async(&a).await, broker_counts_async(&b).await);
        let _ = tokio::time::timeout(Duration::from_secs(20), worker.stop()).await;
        panic!(
            "{why}; A/B (ready, unacked, consumers) as the broker lists them: {counts:?}; \
             relayed before the fault: {at_stopped}; failed handler calls: {}",
            relay::FAILED_CALLS.load(Ordering::Relaxed)
        );
    }
    let all_done = stop.elapsed();
    let recovery = relay::FIRST_AFTER_RESTART
        .get()
        .map(|t| t.duration_since(stop));
    let stopped_cleanly = worker.stop().await;

    let left_in_a = settled_ready(&a, Duration::from_secs(30)).await;
    let in_b = broker.drain(&b).await;
    let mut ids_b: Vec<u64> = in_b
        .iter()
        .map(|body| {
            serde_json::from_slice::<Job>(body)
                .unwrap_or_else(|e| panic!("not a Job in B ({e}): {body:?}"))
                .id
        })
        .collect();
    ids_b.sort_unstable();
    let total_b = ids_b.len();
    ids_b.dedup();
    let missing_b: Vec<u64> = {
        let present: std::collections::HashSet<u64> = ids_b.iter().copied().collect();
        (0..N).filter(|id| !present.contains(id)).collect()
    };
    let missing_handled = relay::HANDLED.missing(N);
    let duplicates_a = relay::HANDLED.duplicates();
    let duplicates_b = total_b - ids_b.len();
    let recovery_s = recovery.map_or("never".to_owned(), |r| format!("{:.1} s", r.as_secs_f64()));
    println!(
        "broker restart: lost {}, duplicates A: {duplicates_a}, B: {duplicates_b}, recovery \
         {recovery_s} (stop_app → first bulk handled after start_app; start_app returned after \
         {:.1} s); all {N} handled {:.1} s after the stop; {} failed handler calls; {} \
         messages in B for {} ids; {left_in_a} left in A",
        missing_b.len().max(missing_handled.len()),
        started.as_secs_f64(),
        all_done.as_secs_f64(),
        relay::FAILED_CALLS.load(Ordering::Relaxed),
        total_b,
        ids_b.len(),
    );
    stopped_cleanly.expect("the worker stops cleanly");
    assert!(
        missing_handled.is_empty(),
        "{} ids never handled, e.g. {:?}",
        missing_handled.len(),
        &missing_handled[..missing_handled.len().min(10)]
    );
    assert!(
        missing_b.is_empty(),
        "{} ids never reached B, e.g. {:?}",
        missing_b.len(),
        &missing_b[..missing_b.len().min(10)]
    );
    assert_eq!(left_in_a, 0, "A is empty once everything was handled");
    assert!(recovery.is_some(), "nothing was handled after the restart");
}
