//! HTTP routes served in-process, exercised with a real client over loopback: extractors,
//! state, every status the server produces itself, hardening limits and startup errors.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use asyncworker::http::{HttpError, Json, Path, Query, StatusCode};
use asyncworker::prelude::*;
use asyncworker::{RouteProblem, WorkerError};
use asyncworker_tests::{Running, http_settings, unique_prefix};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// Status and body of a GET.
async fn get(url: &str) -> (StatusCode, String) {
    let res = client().get(url).send().await.expect("GET");
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
    (status, res.text().await.expect("body"))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// Routes taking every kind of extractor.
mod extractors {
    use super::*;

    pub struct Counter(pub AtomicU64);

    #[derive(Deserialize)]
    pub struct Verbose {
        pub verbose: Option<bool>,
    }

    #[derive(Deserialize, Serialize)]
    pub struct Order {
        pub id: u64,
        pub amount_cents: u64,
    }

    #[route(http = ["/", "/hello"])]
    async fn hello() -> &'static str {
        "hello"
    }

    #[route(http = ["/users/{id}"])]
    async fn user(Path(id): Path<u64>, Query(q): Query<Verbose>) -> String {
        format!("user {id} verbose={:?}", q.verbose)
    }

    #[route(http = ["/teams/{team}/members/{name}"])]
    async fn member(Path((team, name)): Path<(String, String)>) -> String {
        format!("{name}@{team}")
    }

    #[route(http = ["/orders"], methods = ["POST", "PUT"])]
    async fn save(
        counter: State<Counter>,
        method: asyncworker::http::Method,
        Json(order): Json<Order>,
    ) -> (StatusCode, Json<Order>) {
        counter.0.fetch_add(order.amount_cents, Ordering::SeqCst);
        let status = if method == asyncworker::http::Method::POST {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        (status, Json(order))
    }

    #[route(http = ["/total"])]
    async fn total(app: App, counter: State<Counter>) -> Json<serde_json::Value> {
        Json(serde_json::json!({
            "total": counter.0.load(Ordering::SeqCst),
            "shutting_down": app.is_shutting_down(),
        }))
    }

    #[route(http = ["/find/{id}"])]
    async fn find(Path(id): Path<u64>) -> Result<String, HttpError> {
        if id == 0 {
            return Err(HttpError::new(StatusCode::NOT_FOUND, "no order 0"));
        }
        Ok(format!("order {id}"))
    }

    #[on_startup]
    async fn init(app: &App) -> Result<(), asyncworker::StateError> {
        app.insert(Counter(AtomicU64::new(0)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_query_json_state_and_app_extractors() {
    let worker = Running::start(
        &format!("{}::extractors", module_path!()),
        http_settings(&unique_prefix("http-extract")),
    );
    let base = format!("http://{}", worker.http_addr().await);

    for path in ["/", "/hello"] {
        assert_eq!(
            get(&format!("{base}{path}")).await,
            (StatusCode::OK, "hello".into())
        );
    }
    assert_eq!(
        get(&format!("{base}/users/42?verbose=true")).await,
        (StatusCode::OK, "user 42 verbose=Some(true)".into())
    );
    assert_eq!(
        get(&format!("{base}/users/7")).await,
        (StatusCode::OK, "user 7 verbose=None".into())
    );
    assert_eq!(
        get(&format!("{base}/teams/core/members/ada")).await,
        (StatusCode::OK, "ada@core".into())
    );

    // JSON body in and out, State<T> shared across calls, two methods on one route.
    let c = client();
    let res = c
        .post(format!("{base}/orders"))
        .header("content-type", "application/json")
        .body(r#"{"id": 1, "amount_cents": 1250}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    assert_eq!(
        json(&res.text().await.unwrap()),
        serde_json::json!({"id": 1, "amount_cents": 1250})
    );
    let res = c
        .put(format!("{base}/orders"))
        .header("content-type", "application/json")
        .body(r#"{"id": 2, "amount_cents": 50}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let (status, body) = get(&format!("{base}/total")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json(&body),
        serde_json::json!({"total": 1300, "shutting_down": false})
    );

    // HEAD is answered by GET routes, without a body.
    let res = c.head(format!("{base}/hello")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap(), "");

    // A handler's own HttpError.
    let (status, body) = get(&format!("{base}/find/0")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        json(&body),
        serde_json::json!({"error": "no order 0", "status": 404})
    );
    worker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors_with_the_right_status() {
    let worker = Running::start(
        &format!("{}::extractors", module_path!()),
        http_settings(&unique_prefix("http-errors")),
    );
    let base = format!("http://{}", worker.http_addr().await);
    let c = client();
    let post = |body: &'static str, content_type: Option<&'static str>| {
        let mut req = c.post(format!("{base}/orders")).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let ct = res
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, ct, json(&res.text().await.unwrap()))
        }
    };
    // H1: malformed JSON.
    let (status, ct, body) = post(r#"{"id": 1,"#, Some("application/json")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(ct.as_deref(), Some("application/json"));
    assert_eq!(body["status"], 400);
    assert!(body["error"].as_str().unwrap().contains("JSON"), "{body}");
    // H2: wrong or missing content type, then the wrong shape.
    for content_type in [Some("text/plain"), None] {
        let (status, _, body) = post(r#"{"id": 1, "amount_cents": 2}"#, content_type).await;
        assert_eq!(status, 415, "{content_type:?}: {body}");
        assert_eq!(body["status"], 415);
    }
    let (status, _, body) = post(r#"{"id": "one"}"#, Some("application/json")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["status"], 422);
    // A path parameter that does not parse.
    let (status, body) = get(&format!("{base}/users/abc")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json(&body)["status"], 400);
    // H12: unknown path, wrong method (with Allow).
    let (status, body) = get(&format!("{base}/nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        json(&body),
        serde_json::json!({"error": "no route for GET /nowhere", "status": 404})
    );
    let res = c.delete(format!("{base}/orders")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let allow = res
        .headers()
        .get("allow")
        .expect("Allow header")
        .to_str()
        .unwrap();
    let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
    allowed.sort_unstable();
    assert_eq!(allowed, ["POST", "PUT"]);
    assert_eq!(json(&res.text().await.unwrap())["status"], 405);
    let res = c.post(format!("{base}/hello")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "GET,HEAD");
    worker.stop().await.unwrap();
}

/// A route that panics, one that never answers, one that reads its body.
mod faults {
    use super::*;

    #[route(http = ["/panic"])]
    async fn boom() -> &'static str {
        panic!("handler exploded on purpose")
    }

    #[route(http = ["/ok"])]
    async fn ok() -> &'static str {
        "ok"
    }

    #[route(http = ["/never"])]
    async fn never() -> &'static str {
        std::future::pending::<()>().await;
        "unreachable"
    }

    #[route(http = ["/upload"], methods = ["POST"])]
    async fn upload(body: asyncworker::http::Bytes) -> String {
        body.len().to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_gets_500_and_the_server_keeps_serving() {
    let worker = Running::start(
        &format!("{}::faults", module_path!()),
        http_settings(&unique_prefix("http-panic")),
    );
    let base = format!("http://{}", worker.http_addr().await);
    for _ in 0..3 {
        let (status, body) = get(&format!("{base}/panic")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            json(&body),
            serde_json::json!({"error": "internal server error", "status": 500})
        );
        assert_eq!(
            get(&format!("{base}/ok")).await,
            (StatusCode::OK, "ok".into())
        );
    }
    worker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_the_timeout_gets_408() {
    let mut settings = http_settings(&unique_prefix("http-timeout"));
    settings.http_request_timeout = Duration::from_millis(300);
    let worker = Running::start(&format!("{}::faults", module_path!()), settings);
    let base = format!("http://{}", worker.http_addr().await);
    let start = Instant::now();
    let (status, body) = get(&format!("{base}/never")).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{body}");
    assert_eq!(json(&body)["status"], 408);
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        get(&format!("{base}/ok")).await,
        (StatusCode::OK, "ok".into())
    );
    worker.stop().await.unwrap();
}

/// Reads an HTTP/1.1 response head from a raw connection; `None` if the server closed first.
async fn read_status(stream: &mut tokio::net::TcpStream) -> Option<(u16, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head.split(' ').nth(1)?.parse().ok()?;
            return Some((status, head));
        }
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413_with_and_without_content_length() {
    let mut settings = http_settings(&unique_prefix("http-limit"));
    settings.http_body_limit = 64 * 1024;
    let worker = Running::start(&format!("{}::faults", module_path!()), settings);
    let addr = worker.http_addr().await;
    let base = format!("http://{addr}");
    let c = client();

    // Under the limit: read whole.
    let res = c
        .post(format!("{base}/upload"))
        .body(vec![b'x'; 64 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap(), "65536");

    // Just over the limit, chunked: 413 from this limit, not from axum's own 2 MB default.
    let res = c
        .post(format!("{base}/upload"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            (0..2).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 33 * 1024])),
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    assert_eq!(json(&res.text().await.unwrap())["status"], 413);

    // H3: 10 MB announced by Content-Length: refused before the body is read.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /upload HTTP/1.1\r\nhost: t\r\ncontent-length: 10485760\r\ncontent-type: application/octet-stream\r\n\r\n",
    )
    .await
    .unwrap();
    let (status, head) = read_status(&mut s)
        .await
        .expect("a response before any body byte");
    assert_eq!(status, 413, "{head}");
    assert!(
        head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );

    // H4: 10 MB chunked, no Content-Length: 413 once the limit is crossed, while the client
    // is still sending.
    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        wr.write_all(b"POST /upload HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n")
            .await?;
        let chunk = vec![b'y'; 64 * 1024];
        let mut sent = 0usize;
        while sent < 10 * 1024 * 1024 {
            wr.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            wr.write_all(&chunk).await?;
            wr.write_all(b"\r\n").await?;
            sent += chunk.len();
        }
        wr.write_all(b"0\r\n\r\n").await?;
        Ok::<usize, std::io::Error>(sent)
    });
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let status = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            break head.split(' ').nth(1).unwrap().parse::<u16>().unwrap();
        }
        let n = tokio::time::timeout(Duration::from_secs(10), rd.read(&mut chunk))
            .await
            .expect("no answer to the chunked upload within 10 s")
            .expect("read");
        assert!(
            n > 0,
            "the server closed without answering the chunked upload"
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    assert_eq!(status, 413);
    let written = writer.await.unwrap();
    assert!(
        written.is_err(),
        "the server must stop reading, not swallow 10 MB: the client could send it all"
    );

    // The server still serves.
    assert_eq!(
        get(&format!("{base}/ok")).await,
        (StatusCode::OK, "ok".into())
    );
    worker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_dribbling_its_headers_is_disconnected_after_the_timeout() {
    let mut settings = http_settings(&unique_prefix("http-slowloris"));
    settings.http_header_read_timeout = Duration::from_secs(1);
    let worker = Running::start(&format!("{}::faults", module_path!()), settings);
    let addr = worker.http_addr().await;

    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let start = Instant::now();
    let request =
        b"GET /ok HTTP/1.1\r\nhost: t\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut closed_after = None;
    // One byte every 100 ms would take ~7 s; the server must hang up after ~1 s.
    'dribble: for byte in request {
        if s.write_all(&[*byte]).await.is_err() {
            closed_after = Some(start.elapsed());
            break;
        }
        // Pace the attack; meanwhile, watch for the server closing the connection.
        let mut probe = [0u8; 64];
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut probe)).await {
            Err(_) => {}
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed_after = Some(start.elapsed());
                break 'dribble;
            }
            Ok(Ok(n)) => panic!(
                "the server answered instead of hanging up on the slow client: {:?}",
                String::from_utf8_lossy(&probe[..n])
            ),
        }
    }
    let closed_after = closed_after.expect("the connection was never closed");
    assert!(
        closed_after >= Duration::from_millis(900) && closed_after < Duration::from_secs(4),
        "closed after {closed_after:?}, expected about 1 s"
    );
    // Other clients are unaffected.
    assert_eq!(
        get(&format!("http://{addr}/ok")).await,
        (StatusCode::OK, "ok".into())
    );
    worker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let mut settings = http_settings(&unique_prefix("http-maxconn"));
    settings.http_max_connections = 2;
    let worker = Running::start(&format!("{}::faults", module_path!()), settings);
    let addr = worker.http_addr().await;

    // Two connections that completed a request and stay open (keep-alive) hold both slots.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /ok HTTP/1.1\r\nhost: t\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(read_status(&mut s).await.map(|(st, _)| st), Some(200));
        held.push(s);
    }
    let third = tokio::spawn(async move { get(&format!("http://{addr}/ok")).await });
    // Bounded negative check: the third is not served while both slots are taken.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !third.is_finished(),
        "a third connection was served while the cap of 2 was reached"
    );
    drop(held.pop());
    let served = tokio::time::timeout(Duration::from_secs(10), third)
        .await
        .expect("the waiting connection was not served after a slot freed")
        .unwrap();
    assert_eq!(served, (StatusCode::OK, "ok".into()));
    worker.stop().await.unwrap();
}

mod clash {
    use super::*;

    #[route(http = ["/dup"], methods = ["GET", "POST"])]
    async fn first() {}

    #[route(http = ["/dup", "/other"], methods = ["POST"])]
    async fn second() {}
}

mod on_builtin {
    use super::*;

    #[route(http = ["/metrics"])]
    async fn my_metrics() -> &'static str {
        ""
    }
}

mod param_names {
    use super::*;

    #[route(http = ["/users/{id}"])]
    async fn by_id() {}

    #[route(http = ["/users/{name}"], methods = ["DELETE"])]
    async fn by_name() {}
}

/// Runs a worker of `module` and returns the route problems it must refuse to start with.
async fn startup_error(module: &str, settings: asyncworker::Settings) -> Vec<RouteProblem> {
    let worker = Running::start(&format!("{}::{module}", module_path!()), settings);
    let result = tokio::time::timeout(Duration::from_secs(10), worker.task)
        .await
        .expect("the worker must refuse to start")
        .expect("worker task panicked");
    match result {
        Err(WorkerError::Routes(problems)) => problems,
        other => panic!("expected WorkerError::Routes, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_method_and_path_twice_is_a_startup_error_naming_both() {
    let problems = startup_error("clash", http_settings(&unique_prefix("http-clash"))).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    // The pair's problem, not one route's: the message names both.
    assert_eq!(problems[0].route, None, "{problems:?}");
    let text = &problems[0].message;
    assert!(
        text.contains("`POST /dup` is routed twice")
            && text.contains("route `first` at ")
            && text.contains("route `second` at "),
        "{text}"
    );
    assert_eq!(
        text.matches("http_routes.rs:").count(),
        2,
        "both locations: {text}"
    );
    assert!(!text.contains("GET /dup"), "GET is routed once: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_route_on_a_built_in_path_is_a_startup_error() {
    let problems = startup_error("on_builtin", http_settings(&unique_prefix("http-builtin"))).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    let problem = &problems[0];
    assert_eq!(problem.route, Some("my_metrics"), "{problem:?}");
    assert!(
        problem
            .location
            .as_deref()
            .is_some_and(|l| l.contains("http_routes.rs:")),
        "{problem:?}"
    );
    assert!(
        problem.message.contains("uses `/metrics`, the path of the built-in metrics endpoint (ASYNCWORKER_HTTP_METRICS_PATH)"),
        "{problem}"
    );
    // Moving the built-in endpoint (a setting) resolves it.
    let mut settings = http_settings(&unique_prefix("http-builtin-moved"));
    settings.http_metrics_path = "/internal/metrics".into();
    let worker = Running::start(&format!("{}::on_builtin", module_path!()), settings);
    let base = format!("http://{}", worker.http_addr().await);
    assert_eq!(get(&format!("{base}/metrics")).await.0, StatusCode::OK);
    let (status, body) = get(&format!("{base}/internal/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("asyncworker_http_requests_total"), "{body}");
    worker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_differing_only_in_parameter_names_are_a_startup_error() {
    let problems = startup_error("param_names", http_settings(&unique_prefix("http-names"))).await;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].route, None, "{problems:?}");
    let text = &problems[0].message;
    assert!(
        text.contains("`/users/{id}` (route `by_id` at ")
            && text.contains("and `/users/{name}` (route `by_name` at ")
            && text.contains("differ only in their parameter names"),
        "{text}"
    );
}

mod disabled {
    use super::*;

    #[route(http = ["/only"])]
    async fn only() -> &'static str {
        "only"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_built_ins_disabled_routes_are_still_served_without_them() {
    let mut settings = http_settings(&unique_prefix("http-disabled"));
    settings.http_enabled = false;
    let worker = Running::start(&format!("{}::disabled", module_path!()), settings);
    let base = format!("http://{}", worker.http_addr().await);
    assert_eq!(
        get(&format!("{base}/only")).await,
        (StatusCode::OK, "only".into())
    );
    for path in ["/metrics", "/health/live", "/health/ready"] {
        assert_eq!(get(&format!("{base}{path}")).await.0, StatusCode::NOT_FOUND);
    }
    worker.stop().await.unwrap();
}
