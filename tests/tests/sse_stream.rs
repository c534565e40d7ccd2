//! SSE routes against a real SSE server over loopback: order, bulks by size and deadline,
//! shutdown mid-bulk, resumption with `Last-Event-ID`, `retry:`, malformed data, panics and
//! request headers from the environment, and `Event<String>` data as text.

mod sse_support;

use std::sync::{LazyLock, OnceLock};
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{Job, Recorder, Running, wait_until};
use sse_support::{End, Reply, Server, events, keep, metric, sse_settings};

mod ordered {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // The deadline never fires during the test: only the size (and the shutdown) flush.
    #[route(sse = ["/events"], bulk_size = 10, bulk_flush = "1h")]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        for e in &events {
            assert_eq!(e.name(), "message");
            assert_eq!(e.id(), Some(e.data().id.to_string().as_str()));
            assert_eq!(e.path(), "/events");
            assert!(e.raw().starts_with("{\"id\": "), "{}", e.raw());
        }
        SEEN.call(&ids);
    }
}

/// 25 events: two bulks of 10 by size, in order; the 5 left are handed over at shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_bulks_by_size_and_the_partial_bulk_at_shutdown() {
    let server = Server::start(|_| Reply::stream(events(0..25), End::Hang)).await;
    let worker = Running::start(
        &format!("{}::ordered", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(10), "two bulks of 10", || async {
        ordered::SEEN.unique() >= 20
    })
    .await;
    assert_eq!(
        ordered::SEEN.unique(),
        20,
        "the last 5 wait for a full bulk"
    );
    worker.stop().await.unwrap();
    let calls = ordered::SEEN.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[0], (0..10).collect::<Vec<_>>());
    assert_eq!(calls[1], (10..20).collect::<Vec<_>>());
    assert_eq!(
        calls[2],
        (20..25).collect::<Vec<_>>(),
        "partial bulk at shutdown"
    );
    assert_eq!(server.requests().len(), 1);
}

mod deadline {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(sse = ["/events"], bulk_size = 100, bulk_flush = "300ms")]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// A bulk that never fills is handed over by its deadline, as one call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_by_deadline() {
    let server = Server::start(|_| Reply::stream(events(0..3), End::Hang)).await;
    let worker = Running::start(
        &format!("{}::deadline", module_path!()),
        sse_settings(&server),
    );
    // Waited for while the worker runs: a flush at shutdown would not satisfy it.
    wait_until(
        Duration::from_secs(5),
        "3 events by the deadline",
        || async { deadline::SEEN.unique() == 3 },
    )
    .await;
    worker.stop().await.unwrap();
    assert_eq!(deadline::SEEN.calls(), vec![vec![0, 1, 2]]);
}

mod resume {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(sse = ["/events"], bulk_size = 1)]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// S1: the server drops the connection after 5 events; the worker reconnects with the last
/// id, the server replays from there, and the handler sees every event once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_with_last_event_id_and_no_gap() {
    let server = Server::start(|req| {
        let from = req
            .last_event_id
            .as_deref()
            .map_or(0, |id| id.parse::<u64>().unwrap() + 1);
        if from >= 20 {
            Reply::stream(":nothing more\n\n", End::Hang)
        } else {
            Reply::stream(events(from..from + 5), End::Close)
        }
    })
    .await;
    let worker = Running::start(
        &format!("{}::resume", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(15), "20 events", || async {
        resume::SEEN.unique() == 20
    })
    .await;
    wait_until(
        Duration::from_secs(5),
        "the resumption after id 19",
        || async { server.requests().len() == 5 },
    )
    .await;
    worker.stop().await.unwrap();
    let ids: Vec<u64> = resume::SEEN.calls().concat();
    assert_eq!(
        ids,
        (0..20).collect::<Vec<_>>(),
        "no gap, no duplicate, in order"
    );
    let sent: Vec<Option<String>> = server
        .requests()
        .into_iter()
        .map(|r| r.last_event_id)
        .collect();
    assert_eq!(
        sent,
        [None, Some("4"), Some("9"), Some("14"), Some("19")]
            .map(|s| s.map(str::to_owned))
            .to_vec()
    );
}

mod retry_field {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(sse = ["/events"])]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// S6: `retry: 500` (sent without data, in its own block) sets the reconnection delay; the
/// default first backoff would be 100 to 200 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_retry_field_is_honoured() {
    let server = Server::start(|req| match req.index {
        0 => Reply::stream(format!("retry: 500\n\n{}", events(0..1)), End::Close),
        _ => Reply::stream(events(1..2), End::Hang),
    })
    .await;
    let worker = Running::start(
        &format!("{}::retry_field", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(10), "the second connection", || async {
        retry_field::SEEN.unique() == 2
    })
    .await;
    worker.stop().await.unwrap();
    let r = server.requests();
    let delay = r[1].at - r[0].at;
    assert!(
        delay >= Duration::from_millis(480),
        "reconnected after {delay:?}"
    );
}

mod malformed {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static APP: OnceLock<App> = OnceLock::new();

    #[route(sse = ["/events"], bulk_size = 3, bulk_flush = "1h")]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }

    #[on_startup]
    async fn grab(app: &App) {
        keep(&APP, app);
    }
}

/// Data that does not decode into `T` is skipped, logged and counted; the bulk still fills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_skipped_and_counted() {
    let body = "data: {\"id\": 0}\n\ndata: not json\n\ndata: {\"id\": 1}\n\n\
                event: odd\ndata: {\"oops\": true}\n\ndata: {\"id\": 2}\n\n";
    let server = Server::start(move |_| Reply::stream(body, End::Hang)).await;
    let worker = Running::start(
        &format!("{}::malformed", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(5), "one full bulk", || async {
        malformed::SEEN.unique() == 3
    })
    .await;
    let app = malformed::APP.get().unwrap().clone();
    // SSE events are counted as every consumer's items are: settled (`ack` once handled) and
    // decode errors, per route and path.
    let handled = "asyncworker_messages_total{route=\"handle\",queue=\"/events\",outcome=\"ack\"}";
    wait_until(Duration::from_secs(5), "3 handled counted", || async {
        metric(&app, handled) == 3.0
    })
    .await;
    assert_eq!(
        metric(
            &app,
            "asyncworker_decode_errors_total{route=\"handle\",queue=\"/events\"}"
        ),
        2.0
    );
    assert!(metric(&app, "asyncworker_sse_bytes_total{route=\"handle\"}") >= body.len() as f64);
    worker.stop().await.unwrap();
    assert_eq!(malformed::SEEN.calls(), vec![vec![0, 1, 2]]);
}

mod panics {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static APP: OnceLock<App> = OnceLock::new();

    #[route(sse = ["/events"], bulk_size = 2, bulk_flush = "1h")]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
        if ids.contains(&0) {
            panic!("handler panicked on purpose");
        }
    }

    #[on_startup]
    async fn grab(app: &App) {
        keep(&APP, app);
    }
}

/// S9: a panicking handler is caught and counted as failed; the stream goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_caught_and_the_stream_continues() {
    let server = Server::start(|_| Reply::stream(events(0..6), End::Hang)).await;
    let worker = Running::start(
        &format!("{}::panics", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(5), "three bulks", || async {
        panics::SEEN.calls().len() == 3
    })
    .await;
    let app = panics::APP.get().unwrap().clone();
    // A failed call's events are dropped: counted as `reject` in the shared message metrics.
    let failed =
        "asyncworker_messages_total{route=\"handle\",queue=\"/events\",outcome=\"reject\"}";
    let handled = "asyncworker_messages_total{route=\"handle\",queue=\"/events\",outcome=\"ack\"}";
    wait_until(Duration::from_secs(5), "outcomes counted", || async {
        metric(&app, handled) == 4.0
    })
    .await;
    assert_eq!(metric(&app, failed), 2.0);
    worker.stop().await.unwrap();
    assert_eq!(
        panics::SEEN.calls(),
        vec![vec![0, 1], vec![2, 3], vec![4, 5]]
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the panic did not touch the stream"
    );
}

mod headers {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // `cargo test` sets CARGO_PKG_NAME in the environment of the test binary.
    #[route(sse = ["/events"], headers = ["Authorization: Bearer ${CARGO_PKG_NAME}-$$"])]
    async fn handle(events: Vec<Event<Job>>) {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
    }
}

/// Header values are interpolated from the environment when the worker starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_headers_come_from_the_environment() {
    let server = Server::start(|_| Reply::stream(events(0..1), End::Hang)).await;
    let worker = Running::start(
        &format!("{}::headers", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(5), "one event", || async {
        headers::SEEN.unique() == 1
    })
    .await;
    worker.stop().await.unwrap();
    let expected = format!("Bearer {}-$", std::env::var("CARGO_PKG_NAME").unwrap());
    assert_eq!(
        server.requests()[0].authorization.as_deref(),
        Some(expected.as_str())
    );
}

mod reported {
    use super::*;
    use std::sync::Mutex;

    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    /// What the error handler got: the failure's text and the bulk's ids.
    pub static REPORTED: Mutex<Vec<(String, Vec<u64>)>> = Mutex::new(Vec::new());

    async fn report(failure: Failure, events: Vec<Event<Job>>) {
        let ids = events.iter().map(|e| e.data().id).collect();
        REPORTED.lock().unwrap().push((failure.to_string(), ids));
    }

    #[route(sse = ["/events"], bulk_size = 5, bulk_flush = "1h", error_handler = report)]
    async fn handle(events: Vec<Event<Job>>) -> Result<(), String> {
        let ids: Vec<u64> = events.iter().map(|e| e.data().id).collect();
        SEEN.call(&ids);
        match ids.contains(&7) {
            true => Err("id 7 is cursed".into()),
            false => Ok(()),
        }
    }
}

/// The failed bulk, and only it, reaches the route's error handler with the handler's error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_bulk_reaches_the_error_handler() {
    let server = Server::start(|_| Reply::stream(events(0..15), End::Hang)).await;
    let worker = Running::start(
        &format!("{}::reported", module_path!()),
        sse_settings(&server),
    );
    wait_until(Duration::from_secs(10), "three bulks of 5", || async {
        reported::SEEN.unique() == 15
    })
    .await;
    worker.stop().await.unwrap();
    let reported = reported::REPORTED.lock().unwrap().clone();
    assert_eq!(
        reported,
        [("id 7 is cursed".to_owned(), (5..10).collect::<Vec<u64>>())]
    );
}

mod text {
    use super::*;
    use std::sync::Mutex;
    pub static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[route(sse = ["/events"], bulk_size = 3, bulk_flush = "1h")]
    async fn handle(events: Vec<Event<String>>) {
        let mut seen = SEEN.lock().unwrap();
        seen.extend(events.into_iter().map(Event::into_data));
    }
}

/// `Event<String>` takes each event's data as text: not JSON, JSON left as written, and
/// several `data:` lines joined with `\n`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_events_take_the_data_as_text() {
    let body = "data: not json\n\ndata: {\"id\": 1}\n\ndata: two\ndata: lines\n\n";
    let server = Server::start(move |_| Reply::stream(body, End::Hang)).await;
    let worker = Running::start(&format!("{}::text", module_path!()), sse_settings(&server));
    wait_until(Duration::from_secs(10), "one bulk of 3", || async {
        text::SEEN.lock().unwrap().len() == 3
    })
    .await;
    worker.stop().await.unwrap();
    assert_eq!(
        *text::SEEN.lock().unwrap(),
        ["not json", "{\"id\": 1}", "two\nlines"]
    );
}
