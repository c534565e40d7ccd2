//! The worker's lifecycle: startup hook failure, missing state, hook order, the `--routes`,
//! `--help` and bad-flag command line, and a broker that cannot be reached at start.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use asyncworker::WorkerError;
use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Proc, Running, broker_counts_async, settings, unique_prefix, wait_until,
};

const NOWHERE: &str = "amqp://guest:guest@127.0.0.1:1/%2f";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_startup_hook_exits_1_and_consumes_nothing() {
    let prefix = unique_prefix("hookfails");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(3)).await;

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_hook_fails"));
    cmd.env("ASYNCWORKER_AMQP_URL", asyncworker_tests::AMQP_URL)
        .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", &prefix)
        .env("ASYNCWORKER_LOG", "info");
    let mut worker = Proc::spawn(cmd);
    let status = worker.wait(Duration::from_secs(10)).await;
    let stderr = worker.stderr();
    let stdout = worker.stdout();
    assert_eq!(status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("startup hook `open_database`") && stderr.contains("aw_hook_fails.rs:"),
        "stderr must name the hook and where it is: {stderr}"
    );
    assert!(
        stderr.contains("database is unreachable"),
        "and its error: {stderr}"
    );
    assert!(
        !stdout.iter().any(|l| l.starts_with("HANDLED")),
        "nothing may be handled: {stdout:?}"
    );
    // Nothing consumed, and the worker never attached to the queue.
    assert_eq!(
        broker_counts_async(&q).await,
        Some((3, 0, 0)),
        "(ready, unacked, consumers)"
    );
    assert_eq!(broker.ready(&q).await, 3);
    broker.delete(&q).await;
}

mod missing_state {
    use super::*;
    pub struct Db;
    pub static CALLS: AtomicUsize = AtomicUsize::new(0);

    #[route(amqp = ["q"], bulk_size = 5, bulk_flush = "100ms")]
    async fn needs_db(_db: State<Db>, _messages: Vec<Message<Job>>) {
        CALLS.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_state_is_reported_at_startup() {
    let prefix = unique_prefix("nostate");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(1)).await;

    let worker = Running::start(
        &format!("{}::missing_state", module_path!()),
        settings(&prefix),
    );
    let result = tokio::time::timeout(Duration::from_secs(10), worker.task)
        .await
        .expect("the worker must refuse to start, not run")
        .expect("worker task panicked");
    let err = result.expect_err("a route needs state no hook inserted");
    let WorkerError::MissingState(problems) = &err else {
        panic!("MissingState expected, got {err:?}");
    };
    assert_eq!(problems.len(), 1, "{err}");
    let problem = &problems[0];
    assert_eq!(problem.route, Some("needs_db"), "{err}");
    assert!(
        problem
            .message
            .contains("State<lifecycle::missing_state::Db>"),
        "the error names the type: {err}"
    );
    assert!(
        problem
            .location
            .as_deref()
            .is_some_and(|l| l.contains("lifecycle.rs:")),
        "and the location: {err}"
    );
    assert_eq!(missing_state::CALLS.load(Ordering::SeqCst), 0);
    assert_eq!(
        broker_counts_async(&q).await,
        Some((1, 0, 0)),
        "the message is untouched"
    );
    broker.delete(&q).await;
}

/// Hooks at several orders; every call is logged in `LOG`.
mod hook_order {
    use super::*;
    pub static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
    pub static STARTED: AtomicUsize = AtomicUsize::new(0);

    pub fn log(what: &str) {
        LOG.lock().unwrap().push(what.to_owned());
    }

    #[route(amqp = ["q"])]
    async fn work(message: Message<Job>) {
        log(&format!("handler start {}", message.body().id));
        STARTED.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(500)).await;
        log(&format!("handler end {}", message.body().id));
    }

    #[on_startup(order = 5)]
    async fn last(_app: &App) {
        log("startup last(5)");
    }

    #[on_startup]
    async fn beta(_app: &App) {
        log("startup beta(0)");
    }

    #[on_startup]
    async fn alpha(_app: &App) {
        log("startup alpha(0)");
    }

    #[on_startup(order = -1)]
    async fn first(_app: &App) {
        log("startup first(-1)");
    }

    #[on_shutdown(order = -1)]
    async fn closes_last(_app: &App) {
        log("shutdown closes_last(-1)");
    }

    #[on_shutdown]
    async fn closes_middle(_app: &App) {
        log("shutdown closes_middle(0)");
    }

    #[on_shutdown(order = 5)]
    async fn closes_first(_app: &App) {
        log("shutdown closes_first(5)");
    }

    /// Same order as `alpha` and `beta` and a name sorting before both: the module path
    /// (`...::hook_order::sub` after `...::hook_order`) decides first.
    pub mod sub {
        use super::*;

        #[on_startup]
        async fn aa_child(_app: &App) {
            log("startup sub::aa_child(0)");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_run_in_order_and_shutdown_hooks_after_the_last_handler() {
    let prefix = unique_prefix("hooks");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(1)).await;

    let worker = Running::start(
        &format!("{}::hook_order", module_path!()),
        settings(&prefix),
    );
    wait_until(Duration::from_secs(10), "the handler to start", || async {
        hook_order::STARTED.load(Ordering::SeqCst) == 1
    })
    .await;
    worker.stop().await.expect("the worker stops cleanly");

    let log = hook_order::LOG.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            "startup first(-1)",
            "startup alpha(0)",
            "startup beta(0)",
            "startup sub::aa_child(0)",
            "startup last(5)",
            "handler start 0",
            "handler end 0",
            "shutdown closes_first(5)",
            "shutdown closes_middle(0)",
            "shutdown closes_last(-1)",
        ]
    );
    assert_eq!(broker.ready(&q).await, 0);
    broker.delete(&q).await;
}

fn routes_worker(args: &[&str], prefix: &str) -> Proc {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_routes"));
    cmd.args(args)
        // Nothing listens there: connecting would hang in retries, not exit.
        .env("ASYNCWORKER_AMQP_URL", NOWHERE)
        .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", prefix);
    Proc::spawn(cmd)
}

/// The 1-based line of the first line of `src/bin/aw_routes.rs` containing `needle`.
fn line_of(needle: &str) -> usize {
    include_str!("../src/bin/aw_routes.rs")
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in aw_routes.rs")
        + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_flag_lists_routes_without_connecting() {
    let prefix = unique_prefix("routes");
    let mut worker = routes_worker(&["--routes"], &prefix);
    let status = worker.wait(Duration::from_secs(10)).await;
    let out = worker.stdout();
    assert_eq!(status.code(), Some(0), "stderr: {}", worker.stderr());
    let route = |name: &str| {
        out.iter()
            .find(|l| l.starts_with("amqp") && l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no line for route {name}: {out:#?}"))
            .clone()
    };
    let drain = route("drain_orders");
    assert!(
        drain.contains(&format!(
            "queues=[\"{prefix}orders\", \"{prefix}orders.priority\"]"
        )),
        "{drain}"
    );
    assert!(drain.contains("bulk_size=50 "), "{drain}");
    assert!(drain.contains("bulk_flush=250ms "), "{drain}");
    let at = format!("src/bin/aw_routes.rs:{})", line_of("async fn drain_orders"));
    assert!(drain.ends_with(&at), "{drain} should end with {at}");

    let audit = route("audit-log");
    assert!(
        audit.contains(&format!("queues=[\"{prefix}audit\"]")),
        "{audit}"
    );
    assert!(audit.contains("bulk_size=1 "), "{audit}");
    let at = format!("src/bin/aw_routes.rs:{})", line_of("async fn audit"));
    assert!(audit.ends_with(&at), "{audit} should end with {at}");

    assert!(
        out.iter().any(|l| l.starts_with("on_startup")
            && l.contains("warm_cache")
            && l.contains("order=-1")),
        "{out:#?}"
    );
    assert!(
        out.iter()
            .any(|l| l.starts_with("on_shutdown") && l.contains("flush_metrics")),
        "{out:#?}"
    );
    assert!(
        !out.iter().any(|l| l.starts_with("HOOK RAN")),
        "--routes must not run hooks: {out:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_flag_exits_2_with_usage_and_help_exits_0() {
    let prefix = unique_prefix("flags");
    let mut bad = routes_worker(&["--bogus"], &prefix);
    let status = bad.wait(Duration::from_secs(10)).await;
    let err = bad.stderr();
    assert_eq!(status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("unknown argument `--bogus`"), "{err}");
    assert!(err.contains("usage:") && err.contains("--routes"), "{err}");
    assert!(bad.stdout().is_empty(), "{:?}", bad.stdout());

    let mut help = routes_worker(&["--help"], &prefix);
    let status = help.wait(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", help.stderr());
    let out = help.stdout().join("\n");
    assert!(out.contains("usage:") && out.contains("--routes"), "{out}");
    assert!(!out.contains("HOOK RAN"), "{out}");
}

/// A route on a broker that cannot be reached.
mod unreachable {
    use super::*;
    pub static STARTED: AtomicUsize = AtomicUsize::new(0);

    #[route(amqp = ["q"])]
    async fn never(_message: Message<Job>) {}

    #[on_startup]
    async fn started(_app: &App) {
        STARTED.fetch_add(1, Ordering::SeqCst);
    }
}

/// A TCP listener that accepts every connection and drops it at once (a "broker" that never
/// speaks AMQP), counting the attempts.
async fn dropping_listener() -> (
    u16,
    std::sync::Arc<AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&accepted);
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (port, accepted, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_broker_is_retried_until_stopped() {
    let (port, accepted, acceptor) = dropping_listener().await;
    let prefix = unique_prefix("unreachable");
    let mut s = settings(&prefix);
    s.amqp_urls = vec![format!("amqp://guest:guest@127.0.0.1:{port}/%2f")];
    let worker = Running::start(&format!("{}::unreachable", module_path!()), s);
    wait_until(
        Duration::from_secs(10),
        "the worker to try connecting twice",
        || async { accepted.load(Ordering::SeqCst) >= 2 },
    )
    .await;
    assert_eq!(unreachable::STARTED.load(Ordering::SeqCst), 1);
    assert!(
        !worker.task.is_finished(),
        "the worker must keep retrying, not exit"
    );
    let t = Instant::now();
    worker
        .stop()
        .await
        .expect("a stop while connecting is clean");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "stop must interrupt the retries, took {:?}",
        t.elapsed()
    );
    acceptor.abort();
}

mod failover {
    use super::*;
    pub static SEEN: AtomicUsize = AtomicUsize::new(0);

    #[route(amqp = ["q"])]
    async fn handle(_message: Message<Job>) {
        SEEN.fetch_add(1, Ordering::SeqCst);
    }
}

/// `amqp_urls` is a failover list tried in turn: a first broker that refuses connections
/// (nothing listens on port 1) must not keep the worker from the second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_first_url_fails_over_to_the_next() {
    let prefix = unique_prefix("failover");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(1)).await;

    let mut s = settings(&prefix);
    s.amqp_urls = vec![NOWHERE.to_owned(), asyncworker_tests::AMQP_URL.to_owned()];
    let worker = Running::start(&format!("{}::failover", module_path!()), s);
    let t = Instant::now();
    let handled = asyncworker_tests::wait_for(Duration::from_secs(10), || async {
        failover::SEEN.load(Ordering::SeqCst) == 1
    })
    .await;
    let took = t.elapsed();
    worker.stop().await.expect("the worker stops cleanly");
    broker.delete(&q).await;
    assert!(
        handled,
        "the message was not handled within {took:?}: the worker never got past the refused \
         first URL to the second one"
    );
    println!("failover to the second URL took {took:?}");
}
