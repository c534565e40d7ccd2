//! `--check` on real binaries (and [`Worker::check`] in process): the startup hooks run (and
//! know it is a check), then the HTTP port, the SSE servers, the schedules and the readiness
//! checks the hooks registered are verified without consuming anything, one `ok`/`FAIL` line
//! per item, exit 0 only when every item is ok; the shutdown hooks run last. Only loopback
//! addresses.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use asyncworker::Worker;
use asyncworker::prelude::*;
use asyncworker_tests::{Proc, http_settings};

/// What a finished `--check` run left: its exit code, stdout lines and stderr.
struct Outcome {
    code: Option<i32>,
    stdout: Vec<String>,
    stderr: String,
}

impl Outcome {
    /// Where `needle` first appears on stderr, if it does.
    fn stderr_at(&self, needle: &str) -> Option<usize> {
        self.stderr.find(needle)
    }

    /// The report line for `kind`'s item that starts with `prefix` (after the status word).
    fn item(&self, status: &str, prefix: &str) -> Option<&String> {
        self.stdout.iter().find(|l| {
            l.strip_prefix(status)
                .and_then(|rest| rest.strip_prefix(' '))
                .is_some_and(|rest| rest.trim_start().starts_with(prefix))
        })
    }

    /// Every stdout line is a report line: logs and hooks' output never reach it.
    fn assert_only_report_lines(&self) {
        for line in &self.stdout {
            assert!(
                line.starts_with("ok   ")
                    || line.starts_with("FAIL ")
                    || line.starts_with("check: "),
                "not a report line: {line:?}; stdout: {:#?}",
                self.stdout
            );
        }
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code,
            self.stdout.join("\n"),
            self.stderr
        )
    }
}

/// Runs `cmd` to the end (bounded: a check answers within its own 30 s limit).
async fn run(cmd: Command) -> Outcome {
    let mut proc = Proc::spawn(cmd);
    let status = proc.wait(Duration::from_secs(60)).await;
    Outcome {
        code: status.code(),
        stdout: proc.stdout(),
        stderr: proc.stderr(),
    }
}

/// `aw_check --check` with its HTTP server on `http_port` and its SSE server at `sse_url`.
fn aw_check(args: &[&str], http_port: u16, sse_url: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aw_check"));
    cmd.args(args)
        .env("ASYNCWORKER_HTTP_HOST", "127.0.0.1")
        .env("ASYNCWORKER_HTTP_PORT", http_port.to_string())
        .env("ASYNCWORKER_LOG", "info");
    match sse_url {
        Some(url) => cmd.env("ASYNCWORKER_SSE_URL", url),
        None => cmd.env_remove("ASYNCWORKER_SSE_URL"),
    };
    cmd
}

/// A loopback port that refuses connections for as long as the socket is held: bound, never
/// listening. Holding it (rather than binding and releasing a port) keeps any other process
/// from taking the port meanwhile.
fn closed_port() -> (tokio::net::TcpSocket, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    let port = socket.local_addr().expect("addr").port();
    (socket, port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_with_a_free_port_and_a_reachable_sse_server() {
    let sse = TcpListener::bind("127.0.0.1:0").expect("bind the SSE stand-in");
    let sse_addr = sse.local_addr().unwrap();
    let out = run(aw_check(
        &["--check"],
        0,
        Some(&format!("http://{sse_addr}")),
    ))
    .await;
    assert_eq!(out.code, Some(0), "{out:?}");
    out.assert_only_report_lines();
    let http = out.item("ok", "http server:").expect("http line");
    assert!(http.contains("127.0.0.1:0"), "{out:?}");
    let feed = out.item("ok", "sse feed:").expect("sse line");
    assert!(
        feed.contains(&format!("{sse_addr} accepts connections")),
        "{out:?}"
    );
    let job = out.item("ok", "schedule hourly:").expect("schedule line");
    assert!(
        job.contains("every=3600000ms, next fire at 20") && job.contains("Z"),
        "{out:?}"
    );
    assert!(out.item("ok", "check database").is_some(), "{out:?}");
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("check: 4 ok, 0 failed")
    );
    assert_eq!(out.stdout.len(), 5, "{out:?}");
    // The check really opened a connection to the SSE server (it waits in the backlog).
    sse.set_nonblocking(true).unwrap();
    assert!(
        sse.accept().is_ok(),
        "the SSE server saw no connection: {out:?}"
    );
    // The `immediately` job did not run: its line would be on stdout.
    assert!(!out.stdout.iter().any(|l| l.contains("RAN")), "{out:?}");
    // Every startup hook ran, knowing it was a check, then the shutdown hook.
    let started = out.stderr_at("HOOK RAN started is_check=true");
    let after = out.stderr_at("HOOK RAN after");
    let stopped = out.stderr_at("SHUTDOWN HOOK RAN stopped is_check=true");
    assert!(started.is_some() && after.is_some(), "{out:?}");
    assert!(after < stopped, "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fails_naming_a_failing_readiness_check() {
    let sse = TcpListener::bind("127.0.0.1:0").expect("bind the SSE stand-in");
    let sse_url = format!("http://{}", sse.local_addr().unwrap());
    let mut cmd = aw_check(&["--check"], 0, Some(&sse_url));
    cmd.env("AW_CHECK_DATABASE", "down");
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    out.assert_only_report_lines();
    let db = out
        .item("FAIL", "check database")
        .expect("a FAIL check line");
    assert_eq!(db, "FAIL check database: connection refused", "{out:?}");
    // The backends are still checked and reported.
    assert!(out.item("ok", "http server:").is_some(), "{out:?}");
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("check: 3 ok, 1 failed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fails_naming_a_failing_startup_hook_and_still_runs_the_shutdown_hooks() {
    let sse = TcpListener::bind("127.0.0.1:0").expect("bind the SSE stand-in");
    let sse_url = format!("http://{}", sse.local_addr().unwrap());
    let mut cmd = aw_check(&["--check"], 0, Some(&sse_url));
    cmd.env("AW_CHECK_CACHE", "down");
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    out.assert_only_report_lines();
    assert_eq!(
        out.stdout.first().map(String::as_str),
        Some("FAIL startup hook open_cache: cache is unreachable"),
        "{out:?}"
    );
    // The hook after the failing one did not run; the shutdown hook did.
    assert!(out.stderr_at("HOOK RAN open_cache").is_some(), "{out:?}");
    assert!(out.stderr_at("HOOK RAN after").is_none(), "{out:?}");
    assert!(
        out.stderr_at("SHUTDOWN HOOK RAN stopped").is_some(),
        "{out:?}"
    );
    // What the hooks before it registered, and the backends, are still checked.
    assert!(out.item("ok", "check database").is_some(), "{out:?}");
    assert!(out.item("ok", "http server:").is_some(), "{out:?}");
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("check: 4 ok, 1 failed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fails_naming_the_http_port_when_it_is_taken() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().unwrap().port();
    let sse = TcpListener::bind("127.0.0.1:0").expect("bind the SSE stand-in");
    let sse_url = format!("http://{}", sse.local_addr().unwrap());
    let out = run(aw_check(&["--check"], port, Some(&sse_url))).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    out.assert_only_report_lines();
    let http = out.item("FAIL", "http server:").expect("a FAIL http line");
    assert!(http.contains(&format!("127.0.0.1:{port}")), "{out:?}");
    assert!(http.to_lowercase().contains("in use"), "{out:?}");
    // The other items are still checked and reported.
    assert!(out.item("ok", "sse feed:").is_some(), "{out:?}");
    assert!(out.item("ok", "schedule hourly:").is_some(), "{out:?}");
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("check: 3 ok, 1 failed")
    );
    drop(taken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_fails_when_the_sse_server_is_unreachable() {
    let (_held, port) = closed_port();
    let out = run(aw_check(
        &["--check"],
        0,
        Some(&format!("http://127.0.0.1:{port}")),
    ))
    .await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let feed = out.item("FAIL", "sse feed:").expect("a FAIL sse line");
    assert!(
        feed.contains(&format!("cannot connect to 127.0.0.1:{port}")),
        "{out:?}"
    );
    assert!(out.item("ok", "http server:").is_some(), "{out:?}");
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("check: 3 ok, 1 failed")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_with_bad_settings_or_routes_exits_1_with_the_message() {
    let mut bad_port = aw_check(&["--check"], 0, Some("http://127.0.0.1:1"));
    bad_port.env("ASYNCWORKER_HTTP_PORT", "eighty");
    let out = run(bad_port).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("ASYNCWORKER_HTTP_PORT") && out.stderr.contains("eighty"),
        "{out:?}"
    );
    assert!(out.stdout.is_empty(), "{out:?}");

    // The SSE route has no `url` and ASYNCWORKER_SSE_URL is unset: the routes cannot run.
    let out = run(aw_check(&["--check"], 0, None)).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(
        out.stderr.contains("route `feed`") && out.stderr.contains("ASYNCWORKER_SSE_URL"),
        "{out:?}"
    );
    assert!(out.stdout.is_empty(), "{out:?}");
    // The routes are read before any hook runs.
    assert!(out.stderr_at("HOOK RAN").is_none(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_only_http_leaves_amqp_alone() {
    // A broker address where nothing listens: an AMQP check would have to report on it.
    let (_held, amqp_port) = closed_port();
    let amqp_url = format!("amqp://guest:guest@127.0.0.1:{amqp_port}/%2f");
    let mixed = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aw_mixed"));
        cmd.args(args)
            .env("ASYNCWORKER_AMQP_URL", &amqp_url)
            .env("ASYNCWORKER_HTTP_PORT", "0");
        cmd
    };
    let out = run(mixed(&["--check", "--only", "http"])).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    out.assert_only_report_lines();
    assert!(out.item("ok", "http server:").is_some(), "{out:?}");
    assert!(
        !out.stdout.iter().any(|l| l.contains("amqp")),
        "--only http reported on AMQP: {out:?}"
    );
    assert_eq!(
        out.stdout.last().map(String::as_str),
        Some("check: 1 ok, 0 failed")
    );

    // Without --only the same binary does report on its AMQP route (whatever it finds), so
    // the absence above is --only's doing.
    let out = run(mixed(&["--check"])).await;
    assert!(
        out.item("ok", "amqp").is_some() || out.item("FAIL", "amqp").is_some(),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_is_listed_in_help_and_excludes_routes() {
    let out = run(aw_check(&["--help"], 0, None)).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .iter()
            .any(|l| l.trim_start().starts_with("--check")),
        "{out:?}"
    );
    let out = run(aw_check(&["--check", "--routes"], 0, None)).await;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("cannot be combined"), "{out:?}");
}

mod api {
    use super::*;

    #[route(http = ["/ping"])]
    async fn ping() -> &'static str {
        "pong"
    }
}

/// [`Worker::check`] in process: the report `--check` prints, as values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_check_reports_a_taken_port_and_passes_with_port_0() {
    let module = concat!(module_path!(), "::api");
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().unwrap().port();
    let mut settings = http_settings("unused-");
    settings.http_port = port;

    let report = Worker::new(settings.clone())
        .only_module(module)
        .check()
        .await
        .expect("check");
    assert!(!report.is_ok(), "{report}");
    assert_eq!((report.passed(), report.failed()), (0, 1), "{report}");
    let item = &report.items()[0];
    assert_eq!((item.kind, item.ok), ("http", false));
    assert!(item.line.contains(&format!(":{port}")), "{report}");
    assert!(
        report.to_string().starts_with("FAIL http server:"),
        "{report}"
    );

    drop(taken);
    // Port 0 rather than the port just released: another process may take that one at once.
    settings.http_port = 0;
    let report = Worker::new(settings)
        .only_module(module)
        .check()
        .await
        .expect("check");
    assert!(report.is_ok(), "{report}");
    assert!(report.items()[0].line.contains("1 route(s)"), "{report}");
}

/// Hooks for [`worker_check_runs_the_hooks_and_their_readiness_checks`]: what they saw, and
/// whether the readiness check they register passes.
mod checked {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    pub static DB_UP: AtomicBool = AtomicBool::new(false);
    /// 1 once the startup hook ran with `is_check()`, 2 once the shutdown hook ran after it.
    pub static STAGE: AtomicU32 = AtomicU32::new(0);

    #[route(http = ["/ping"])]
    async fn ping() -> &'static str {
        "pong"
    }

    #[on_startup]
    async fn connect(app: &App) {
        if app.is_check() {
            STAGE.store(1, Ordering::SeqCst);
        }
        app.health().check("database", || async {
            match DB_UP.load(Ordering::SeqCst) {
                true => Ok(()),
                false => Err("connection refused"),
            }
        });
    }

    #[on_shutdown]
    async fn disconnect(_app: &App) {
        let _ = STAGE.compare_exchange(1, 2, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// [`Worker::check`] in process: the hooks run (knowing it is a check), the readiness check
/// they register is an item that fails while it fails, and the shutdown hook runs after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_check_runs_the_hooks_and_their_readiness_checks() {
    use std::sync::atomic::Ordering;
    let module = concat!(module_path!(), "::checked");
    let mut settings = http_settings("unused-");
    settings.http_port = 0;
    let worker = Worker::new(settings).only_module(module);

    let report = worker.check().await.expect("check");
    assert_eq!(checked::STAGE.load(Ordering::SeqCst), 2, "{report}");
    assert!(!report.is_ok(), "{report}");
    assert_eq!((report.passed(), report.failed()), (1, 1), "{report}");
    let item = report.items().last().expect("a check item");
    assert_eq!(item.kind, "check");
    assert_eq!(item.line, "check database: connection refused");
    assert!(
        !worker.app().is_check(),
        "the worker's own handle is not the check's"
    );

    checked::DB_UP.store(true, Ordering::SeqCst);
    let report = worker.check().await.expect("check");
    assert!(report.is_ok(), "{report}");
    assert!(
        report.to_string().contains("ok   check database\n"),
        "{report}"
    );
}

mod failing {
    use super::*;

    #[route(http = ["/ping"])]
    async fn ping() -> &'static str {
        "pong"
    }

    #[on_startup]
    async fn open_database(_app: &App) -> Result<(), String> {
        Err("database is unreachable".to_owned())
    }
}

/// [`Worker::check`] in process: a failing startup hook is a failed item naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_check_reports_a_failing_startup_hook() {
    let module = concat!(module_path!(), "::failing");
    let mut settings = http_settings("unused-");
    settings.http_port = 0;
    let report = Worker::new(settings)
        .only_module(module)
        .check()
        .await
        .expect("check");
    assert!(!report.is_ok(), "{report}");
    let first = &report.items()[0];
    assert_eq!((first.kind, first.ok), ("startup", false));
    assert_eq!(
        first.line,
        "startup hook open_database: database is unreachable"
    );
    assert_eq!((report.passed(), report.failed()), (1, 1), "{report}");
}
