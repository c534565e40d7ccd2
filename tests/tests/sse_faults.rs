//! SSE routes against a misbehaving server: 503s, 204, 404 and wrong content types, a stalled
//! stream, an endless event, and configuration mistakes found at startup.

mod sse_support;

use std::sync::atomic::Ordering;
use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{Job, Recorder, Running, wait_until};
use sse_support::{End, Reply, Server, events, keep, metric, sse_settings};

mod unavailable {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(sse = ["/events"])]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// S2: 503 three times, then 200: retried with backoff (not closed for good), then consumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_unavailable_three_times_then_resumes() {
    let server = Server::start(|req| match req.index {
        0..=2 => Reply::status(503, "text/plain"),
        _ => Reply::stream(events(0..3), End::Hang),
    })
    .await;
    let worker = Running::start(
        &format!("{}::unavailable", module_path!()),
        sse_settings(&server),
    );
    wait_until(
        Duration::from_secs(15),
        "3 events after the 503s",
        || async { unavailable::SEEN.unique() == 3 },
    )
    .await;
    worker.stop().await.unwrap();
    assert_eq!(server.requests().len(), 4);
}

mod no_content {
    use super::*;
    pub static APP: OnceLock<App> = OnceLock::new();

    #[route(sse = ["/stop", "/events"])]
    async fn handle(events: Vec<Event<Job>>) {
        let _ = events;
    }

    #[on_startup]
    async fn grab(app: &App) {
        keep(&APP, app);
    }
}

/// S3: 204 stops that stream for good (no retry) and readiness reports it; the route's other
/// stream and the worker go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_content_stops_the_stream_without_retrying() {
    let server = Server::start(|req| match req.path.as_str() {
        "/stop" => Reply::status(204, "text/event-stream"),
        _ => Reply::stream(events(0..1), End::Hang),
    })
    .await;
    let worker = Running::start(
        &format!("{}::no_content", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(5), "both streams requested", || async {
        server.count("/stop") == 1 && server.count("/events") == 1
    })
    .await;
    let app = no_content::APP.get().unwrap().clone();
    wait_until(Duration::from_secs(5), "only /stop not ready", || async {
        app.health().not_ready() == ["sse handle /stop"]
    })
    .await;
    // An observation window, not a synchronisation: a retry would come within 200 ms.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.count("/stop"), 1, "204 must not be retried");
    assert_eq!(app.health().not_ready(), ["sse handle /stop"]);
    assert!(!worker.task.is_finished(), "the worker keeps running");
    worker.stop().await.unwrap();
}

mod refused {
    use super::*;
    pub static APP: OnceLock<App> = OnceLock::new();

    #[route(sse = ["/missing", "/html"])]
    async fn handle(events: Vec<Event<Job>>) {
        let _ = events;
    }

    #[on_startup]
    async fn grab(app: &App) {
        keep(&APP, app);
    }
}

/// S4: 404 and a 200 that is not `text/event-stream` are retried slowly (the first retry
/// comes after 5 s at the earliest), never in a tight loop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_found_and_wrong_content_type_retry_slowly() {
    let server = Server::start(|req| match req.path.as_str() {
        "/missing" => Reply::status(404, "text/plain"),
        _ => Reply::status(200, "text/html"),
    })
    .await;
    let worker = Running::start(
        &format!("{}::refused", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(5), "both paths requested", || async {
        server.count("/missing") >= 1 && server.count("/html") >= 1
    })
    .await;
    // The observation window over which the request rate is measured.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(server.count("/missing"), 1, "{:?}", server.requests());
    assert_eq!(server.count("/html"), 1, "{:?}", server.requests());
    let app = refused::APP.get().unwrap().clone();
    assert_eq!(
        app.health().not_ready(),
        ["sse handle /missing", "sse handle /html"]
    );
    worker.stop().await.unwrap();
}

mod stalled {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static APP: OnceLock<App> = OnceLock::new();

    #[route(sse = ["/events"], idle_timeout = "500ms")]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }

    #[on_startup]
    async fn grab(app: &App) {
        keep(&APP, app);
    }
}

/// S5: a server that stops sending (socket open) is detected by the idle timeout and the
/// worker reconnects, resuming after the last id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_stream_hits_the_idle_timeout_and_reconnects() {
    let server = Server::start(|req| match req.index {
        0 => Reply::stream(events(0..1), End::Hang),
        _ => Reply::stream(events(1..2), End::Hang),
    })
    .await;
    let worker = Running::start(
        &format!("{}::stalled", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(10), "the reconnection", || async {
        stalled::SEEN.unique() == 2
    })
    .await;
    let r = server.requests();
    assert_eq!(r[1].last_event_id.as_deref(), Some("0"));
    let gap = r[1].at - r[0].at;
    assert!(
        gap >= Duration::from_millis(500),
        "reconnected after {gap:?}"
    );
    let app = stalled::APP.get().unwrap().clone();
    assert!(metric(&app, "asyncworker_sse_reconnects_total{route=\"handle\"}") >= 1.0);
    worker.stop().await.unwrap();
}

mod endless {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static APP: OnceLock<App> = OnceLock::new();

    #[route(sse = ["/events"], max_event_size = 65536)]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }

    #[on_startup]
    async fn grab(app: &App) {
        keep(&APP, app);
    }
}

/// S7: an event that never ends (100 MB offered, no blank line) makes the worker drop the
/// connection at `max_event_size`, long before the server is done; then it reconnects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_event_drops_the_connection_with_memory_bounded() {
    const HUNDRED_MB: u64 = 100 * 1024 * 1024;
    let server = Server::start(|req| match req.index {
        0 => Reply::stream(
            format!("{}data: ", events(0..1)),
            End::Endless {
                fill: b'x',
                limit: HUNDRED_MB,
            },
        ),
        _ => Reply::stream(events(1..2), End::Hang),
    })
    .await;
    let worker = Running::start(
        &format!("{}::endless", module_path!()),
        sse_settings(&server),
    );
    wait_until(
        Duration::from_secs(15),
        "the connection dropped",
        || async { server.endless_dropped.load(Ordering::SeqCst) },
    )
    .await;
    let sent = server.endless_sent.load(Ordering::SeqCst);
    // 64 KiB accepted, plus what the kernel's socket buffers held.
    assert!(sent < 16 * 1024 * 1024, "{sent} bytes sent before the drop");
    wait_until(Duration::from_secs(10), "the events around it", || async {
        endless::SEEN.unique() == 2
    })
    .await;
    let app = endless::APP.get().unwrap().clone();
    assert_eq!(
        metric(
            &app,
            "asyncworker_sse_events_total{route=\"handle\",queue=\"/events\",outcome=\"oversized\"}"
        ),
        1.0
    );
    assert_eq!(server.requests()[1].last_event_id.as_deref(), Some("0"));
    worker.stop().await.unwrap();
}

mod late {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(sse = ["/events"])]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// S8: a server that is down when the worker starts is retried with backoff; the worker
/// consumes as soon as it is up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_down_at_start_is_retried_until_it_is_up() {
    // A free port, refusing connections until the server binds it.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut settings = asyncworker_tests::settings("sse-");
    settings.sse_url = Some(format!("http://{addr}"));
    let worker = Running::start(&format!("{}::late", module_path!()), settings);
    // Long enough for a few refused attempts (the first retries come within 1.5 s).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !worker.task.is_finished(),
        "a refused connection is not fatal"
    );
    let server = Server::start_on(&addr.to_string(), |_| {
        Reply::stream(events(0..2), End::Hang)
    })
    .await;
    wait_until(
        Duration::from_secs(20),
        "events once the server is up",
        || async { late::SEEN.unique() == 2 },
    )
    .await;
    worker.stop().await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

mod bad_config {
    use super::*;

    #[route(sse = ["/events"], headers = ["X-Token: ${AW_SSE_TEST_SURELY_UNSET_VARIABLE}"])]
    async fn handle(events: Vec<Event<Job>>) {
        let _ = events;
    }
}

mod no_url {
    use super::*;

    #[route(sse = ["/events"])]
    async fn handle(events: Vec<Event<Job>>) {
        let _ = events;
    }
}

/// A header naming an unset variable, or a route with no URL at all, stops the worker at
/// startup with a message naming the route and what is missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_mistakes_are_startup_errors() {
    let server = Server::start(|_| Reply::status(500, "text/plain")).await;
    let problems = route_problems(
        Running::start(
            &format!("{}::bad_config", module_path!()),
            sse_settings(&server),
        )
        .task
        .await
        .unwrap(),
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].route, Some("handle"), "{problems:?}");
    assert!(
        problems[0]
            .message
            .contains("needs the environment variable AW_SSE_TEST_SURELY_UNSET_VARIABLE"),
        "{problems:?}"
    );
    let mut settings = sse_settings(&server);
    settings.sse_url = None;
    let problems = route_problems(
        Running::start(&format!("{}::no_url", module_path!()), settings)
            .task
            .await
            .unwrap(),
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].route, Some("handle"), "{problems:?}");
    assert!(
        problems[0].message.contains("ASYNCWORKER_SSE_URL"),
        "{problems:?}"
    );
    assert!(server.requests().is_empty());
}

/// The route problems a worker refused to start with.
fn route_problems(result: Result<(), asyncworker::WorkerError>) -> Vec<asyncworker::RouteProblem> {
    match result {
        Err(asyncworker::WorkerError::Routes(problems)) => problems,
        other => panic!("expected WorkerError::Routes, got {other:?}"),
    }
}
