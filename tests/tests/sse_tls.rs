//! SSE over `https://` against a TLS server in the test, with certificates made by the test run:
//! events verified with `ASYNCWORKER_SSE_TLS_CA_FILE`, a resumption with `Last-Event-ID`, an
//! unknown CA and a wrong host name (refused, reported, retried; nothing handled), `--check`,
//! and a missing or empty CA file as a start-up error.

mod sse_support;

use std::path::PathBuf;
use std::sync::LazyLock;
use std::sync::atomic::Ordering;
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker::{RouteProblem, Settings, Worker, WorkerError};
use asyncworker_tests::{Job, Recorder, Running, captured_logs, wait_until};
use sse_support::tls::Pki;
use sse_support::{End, Reply, Server, events, sse_settings};

/// The names the test server's certificate is for (the worker connects to `127.0.0.1`).
const NAMES: &[&str] = &["127.0.0.1", "localhost"];

/// Everything logged in this test binary, for the tests that look for a reason in the log.
/// Settings streaming from `server`, with `ca` as the CA file.
fn tls_settings(server: &Server, ca: PathBuf) -> Settings {
    let mut s = sse_settings(server);
    s.sse_tls_ca_file = Some(ca);
    s
}

mod verified {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(sse = ["/events"])]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// Events over `https://`, the server verified against the CA file; the stream is ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_over_https_verified_with_the_ca_file() {
    captured_logs::capture("warn");
    let pki = Pki::new(NAMES);
    let server =
        Server::start_tls(pki.acceptor(), |_| Reply::stream(events(0..5), End::Hang)).await;
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let worker = Running::start(
        &format!("{}::verified", module_path!()),
        tls_settings(&server, pki.write_ca("verified")),
    );
    wait_until(Duration::from_secs(10), "5 events over https", || async {
        verified::SEEN.unique() == 5
    })
    .await;
    let app = worker.app.clone();
    wait_until(Duration::from_secs(5), "ready", || async {
        app.health().is_ready()
    })
    .await;
    worker.stop().await.unwrap();
    assert_eq!(verified::SEEN.calls().concat(), (0..5).collect::<Vec<_>>());
    assert_eq!(server.handshake_failures.load(Ordering::SeqCst), 0);
    assert_eq!(server.requests().len(), 1);
}

mod resume {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(sse = ["/events"])]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// The TLS server ends each connection after 5 events; each reconnection (a new handshake)
/// sends the last id, and the server resumes after it: every event once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumes_with_last_event_id_over_https() {
    captured_logs::capture("warn");
    let pki = Pki::new(NAMES);
    let server = Server::start_tls(pki.acceptor(), |req| {
        let from = req
            .last_event_id
            .as_deref()
            .map_or(0, |id| id.parse::<u64>().unwrap() + 1);
        if from >= 15 {
            Reply::stream(":nothing more\n\n", End::Hang)
        } else {
            Reply::stream(events(from..from + 5), End::Close)
        }
    })
    .await;
    let worker = Running::start(
        &format!("{}::resume", module_path!()),
        tls_settings(&server, pki.write_ca("resume")),
    );
    wait_until(Duration::from_secs(15), "15 events", || async {
        resume::SEEN.unique() == 15
    })
    .await;
    wait_until(
        Duration::from_secs(5),
        "the resumption after id 14",
        || async { server.requests().len() == 4 },
    )
    .await;
    worker.stop().await.unwrap();
    assert_eq!(resume::SEEN.calls().concat(), (0..15).collect::<Vec<_>>());
    let sent: Vec<Option<String>> = server
        .requests()
        .into_iter()
        .map(|r| r.last_event_id)
        .collect();
    let expected = [None, Some("4"), Some("9"), Some("14")].map(|id| id.map(str::to_owned));
    assert_eq!(sent, expected);
    assert_eq!(server.handshake_failures.load(Ordering::SeqCst), 0);
}

mod unknown_ca {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(sse = ["/untrusted"])]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// A server whose certificate no known CA signed (the CA file is another CA's): every
/// handshake is refused and retried with backoff, the stream is not ready and readiness and
/// the log say why, and not one request (let alone an event) goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_ca_is_refused_reported_and_retried() {
    captured_logs::capture("warn");
    let pki = Pki::new(NAMES);
    let server =
        Server::start_tls(pki.acceptor(), |_| Reply::stream(events(0..3), End::Hang)).await;
    let other = Pki::new(NAMES);
    let worker = Running::start(
        &format!("{}::unknown_ca", module_path!()),
        tls_settings(&server, other.write_ca("unknown-ca")),
    );
    wait_until(
        Duration::from_secs(15),
        "two refused handshakes",
        || async { server.handshake_failures.load(Ordering::SeqCst) >= 2 },
    )
    .await;
    let part = "sse handle /untrusted";
    let app = worker.app.clone();
    wait_until(
        Duration::from_secs(5),
        "the reason in readiness",
        || async {
            app.health()
                .reasons()
                .get(part)
                .is_some_and(|r| r.contains("invalid peer certificate: UnknownIssuer"))
        },
    )
    .await;
    assert_eq!(app.health().not_ready(), [part]);
    wait_until(Duration::from_secs(5), "the reason in the log", || async {
        captured_logs::text()
            .lines()
            .any(|l| l.contains("/untrusted") && l.contains("UnknownIssuer"))
    })
    .await;
    assert!(
        !worker.task.is_finished(),
        "a refused handshake is not fatal"
    );
    worker.stop().await.unwrap();
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert_eq!(unknown_ca::SEEN.unique(), 0);
}

mod checked {
    use super::*;

    #[route(sse = ["/events"])]
    async fn handle(events: Vec<Event<Job>>) {
        let _ = events;
    }
}

/// `--check` does the handshake a stream would: it passes with the right CA, and fails with
/// the reason for an unknown CA and for a certificate made out to another host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_verifies_the_handshake() {
    captured_logs::capture("warn");
    let module = format!("{}::checked", module_path!());
    let pki = Pki::new(NAMES);
    let server = Server::start_tls(pki.acceptor(), |_| Reply::stream("", End::Close)).await;
    let check = |settings: Settings| {
        let module = module.clone();
        async move {
            let report = Worker::new(settings).only_module(&module).check().await;
            report.expect("check")
        }
    };

    let report = check(tls_settings(&server, pki.write_ca("check"))).await;
    assert!(report.is_ok(), "{report}");
    assert!(
        report.items()[0].line.contains("accepts TLS connections"),
        "{report}"
    );

    let other = Pki::new(NAMES);
    let report = check(tls_settings(&server, other.write_ca("check-other"))).await;
    assert!(!report.is_ok(), "{report}");
    assert!(report.items()[0].line.contains("UnknownIssuer"), "{report}");

    let elsewhere = Pki::new(&["elsewhere.invalid"]);
    let wrong_host =
        Server::start_tls(elsewhere.acceptor(), |_| Reply::stream("", End::Close)).await;
    let report = check(tls_settings(&wrong_host, elsewhere.write_ca("check-host"))).await;
    assert!(!report.is_ok(), "{report}");
    assert!(
        report.items()[0].line.contains("not valid for name"),
        "{report}"
    );
    assert!(server.requests().is_empty() && wrong_host.requests().is_empty());
}

/// A CA file that is missing, or holds no certificate, stops the worker at start-up with a
/// message naming the variable; nothing connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_empty_ca_file_is_a_startup_error() {
    captured_logs::capture("warn");
    let pki = Pki::new(NAMES);
    let server =
        Server::start_tls(pki.acceptor(), |_| Reply::stream(events(0..1), End::Hang)).await;
    let missing = std::env::temp_dir().join("asyncworker-sse-tls-surely-missing-ca.pem");
    let empty = pki.write_ca("empty");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    for (ca, expected) in [
        (missing, "cannot be read"),
        (empty, "holds no PEM certificate"),
    ] {
        let worker = Running::start(
            &format!("{}::checked", module_path!()),
            tls_settings(&server, ca),
        );
        let result = tokio::time::timeout(Duration::from_secs(10), worker.task)
            .await
            .expect("the worker stops at once")
            .unwrap();
        let problems = route_problems(result);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].route, None, "{problems:?}");
        assert!(
            problems[0].message.contains("ASYNCWORKER_SSE_TLS_CA_FILE")
                && problems[0].message.contains(expected),
            "{problems:?}"
        );
    }
    assert!(server.requests().is_empty());
    assert_eq!(server.handshake_failures.load(Ordering::SeqCst), 0);
}

/// The route problems a worker refused to start with.
fn route_problems(result: Result<(), WorkerError>) -> Vec<RouteProblem> {
    match result {
        Err(WorkerError::Routes(problems)) => problems,
        other => panic!("expected WorkerError::Routes, got {other:?}"),
    }
}
