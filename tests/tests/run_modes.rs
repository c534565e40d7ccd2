//! `--only`: one codebase deployed as separate processes (DESIGN §4), checked on real
//! binaries: one with an AMQP route and an HTTP route, against the real broker, and one with
//! scheduled jobs and an HTTP route (`--only schedule`, and `--routes` listing schedules).

use std::time::{Duration, Instant};

use asyncworker_tests::{Broker, Job, Proc, broker_counts_async, unique_prefix, wait_for};

fn worker(prefix: &str, only: &str) -> Proc {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_mixed"));
    cmd.arg("--only")
        .arg(only)
        .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", prefix)
        .env("ASYNCWORKER_HTTP_PORT", "0")
        .env("ASYNCWORKER_LOG", "info")
        .env("ASYNCWORKER_LOG_FORMAT", "json")
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "10s");
    Proc::spawn(cmd)
}

/// The address from the server's JSON "listening on http://ADDR" log line, if logged yet.
fn http_addr(proc: &Proc) -> Option<String> {
    proc.stdout().iter().find_map(|line| {
        let at = line.find("listening on http://")? + "listening on http://".len();
        let rest = &line[at..];
        let end = rest.find(|c: char| c.is_whitespace() || c == '"')?;
        Some(rest[..end].to_owned())
    })
}

async fn stop(mut proc: Proc) {
    proc.signal("TERM");
    let status = proc.wait(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_http_serves_http_and_attaches_no_consumer() {
    let prefix = unique_prefix("only-http");
    let queue = format!("{prefix}jobs");
    let broker = Broker::connect().await;
    broker.declare(&queue).await;
    broker.publish_json(&queue, &Job::many(3)).await;

    let proc = worker(&prefix, "http");
    let start = Instant::now();
    let addr = loop {
        if let Some(a) = http_addr(&proc) {
            break a;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no listening line; stdout: {:?}; stderr: {}",
            proc.stdout(),
            proc.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let body = reqwest::get(format!("http://{addr}/"))
        .await
        .expect("GET /")
        .text()
        .await
        .expect("body");
    assert_eq!(body, "hello");
    // Absence over a bounded window: an AMQP backend would attach within milliseconds.
    let attached = wait_for(Duration::from_millis(1500), || {
        let q = queue.clone();
        async move { broker_counts_async(&q).await.is_some_and(|(_, _, c)| c > 0) }
    })
    .await;
    assert!(!attached, "a consumer attached despite --only http");
    assert_eq!(broker_counts_async(&queue).await, Some((3, 0, 0)));
    stop(proc).await;
    broker.delete(&queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_amqp_consumes_and_serves_no_http() {
    let prefix = unique_prefix("only-amqp");
    let queue = format!("{prefix}jobs");
    let broker = Broker::connect().await;
    broker.declare(&queue).await;
    broker.publish_json(&queue, &Job::many(3)).await;

    let proc = worker(&prefix, "amqp");
    let handled = wait_for(Duration::from_secs(20), || {
        let n = proc
            .stdout()
            .iter()
            .filter(|l| l.starts_with("HANDLED "))
            .count();
        async move { n == 3 }
    })
    .await;
    assert!(
        handled,
        "stdout: {:?}; stderr: {}",
        proc.stdout(),
        proc.stderr()
    );
    assert_eq!(
        http_addr(&proc),
        None,
        "an HTTP server started despite --only amqp"
    );
    // Every log line of the JSON format parses as a JSON object.
    let logs: Vec<String> = proc
        .stdout()
        .into_iter()
        .filter(|l| !l.starts_with("HANDLED "))
        .collect();
    assert!(!logs.is_empty());
    for line in &logs {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v.get("level").is_some() && v.get("fields").is_some(),
            "{line}"
        );
    }
    stop(proc).await;
    broker.delete(&queue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_with_an_unknown_backend_is_a_usage_error() {
    let mut proc = worker("unused-", "amqp,bogus");
    let status = proc.wait(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(2));
    let err = proc.stderr();
    assert!(err.contains("unknown backend `bogus`"), "{err}");
    assert!(err.contains("usage:"), "{err}");
}

/// `aw_schedule` with `args`, its HTTP server (if it ran one) on `http_port`.
fn schedule_worker(args: &[&str], http_port: u16) -> Proc {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_schedule"));
    cmd.args(args)
        .env("ASYNCWORKER_HTTP_HOST", "127.0.0.1")
        .env("ASYNCWORKER_HTTP_PORT", http_port.to_string())
        .env("ASYNCWORKER_LOG", "info")
        .env("ASYNCWORKER_LOG_FORMAT", "json")
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "10s");
    Proc::spawn(cmd)
}

fn count(proc: &Proc, prefix: &str) -> usize {
    proc.stdout()
        .iter()
        .filter(|l| l.starts_with(prefix))
        .count()
}

/// The 1-based line of the first line of `src/bin/aw_schedule.rs` containing `needle`.
fn schedule_line_of(needle: &str) -> usize {
    include_str!("../src/bin/aw_schedule.rs")
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in aw_schedule.rs")
        + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_schedule_runs_the_jobs_and_listens_on_no_port() {
    // The worker's HTTP port is held by the test: an HTTP server would fail to bind it and
    // stop the worker with exit 1 (see the next test), so a clean run proves none started.
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().unwrap().port();
    let proc = schedule_worker(&["--only", "schedule"], port);
    let ticked = wait_for(Duration::from_secs(20), || {
        let n = count(&proc, "TICK ");
        async move { n >= 3 }
    })
    .await;
    assert!(
        ticked,
        "the every=100ms job did not run 3 times; stdout: {:?}; stderr: {}",
        proc.stdout(),
        proc.stderr()
    );
    assert_eq!(
        count(&proc, "HOOK RAN started"),
        1,
        "hooks still run with --only"
    );
    assert_eq!(
        http_addr(&proc),
        None,
        "an HTTP server started despite --only schedule"
    );
    // The job's ticks are the logged schedule, not something else printing TICK.
    assert!(
        proc.stdout()
            .iter()
            .any(|l| l.contains("route schedule tick") && l.contains("every=100ms")),
        "{:?}",
        proc.stdout()
    );
    stop(proc).await;
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_only_the_http_server_fails_on_the_held_port() {
    // The counterpart of the test above: the same binary and held port, every backend on.
    let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = held.local_addr().unwrap().port();
    let mut proc = schedule_worker(&[], port);
    let status = proc.wait(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(1), "stdout: {:?}", proc.stdout());
    let err = proc.stderr();
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")),
        "{err}"
    );
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_lists_schedule_routes_with_options_and_location() {
    let mut proc = schedule_worker(&["--routes"], 0);
    let status = proc.wait(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
    let out = proc.stdout();
    let line = |name: &str| {
        out.iter()
            .find(|l| l.starts_with("schedule") && l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no schedule line for {name}: {out:#?}"))
            .clone()
    };
    let tick = line("tick");
    assert!(
        tick.contains("every=100ms max_concurrency=1 immediately=false"),
        "{tick}"
    );
    let at = format!(
        "src/bin/aw_schedule.rs:{})",
        schedule_line_of("async fn tick")
    );
    assert!(tick.ends_with(&at), "{tick} does not end with {at}");
    let report = line("nightly-report");
    assert!(
        report
            .contains(r#"cron="0 0 3 * * *" max_concurrency=2 immediately=false timeout=300000ms"#),
        "{report}"
    );
    let at = format!(
        "src/bin/aw_schedule.rs:{})",
        schedule_line_of("async fn report")
    );
    assert!(report.ends_with(&at), "{report} does not end with {at}");
    // Listing runs nothing: no hook, no job.
    assert!(
        !out.iter()
            .any(|l| l.starts_with("TICK") || l.starts_with("HOOK RAN")),
        "{out:#?}"
    );
}
