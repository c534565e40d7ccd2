//! HTTP middleware, load shedding and the request head limit, on real requests over loopback
//! to workers running in this process: tower-http's CORS around every route (as
//! `main!(http_layers = ...)` sets it), a layer a startup hook adds, a bearer-token layer on
//! one route; 503 with `Retry-After` beyond `ASYNCWORKER_HTTP_MAX_IN_FLIGHT` while the
//! built-ins still answer; 431 for a request head over `ASYNCWORKER_HTTP_MAX_HEADER_SIZE`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asyncworker::Settings;
use asyncworker::http::StatusCode;
use asyncworker_tests::{Running, http_settings, unique_prefix, wait_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ORIGIN: &str = "https://shop.example";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// `asyncworker_http_requests_total` and friends, as `/metrics` serves them.
async fn metrics(base: &str) -> String {
    let res = client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(res.status(), 200);
    res.text().await.expect("metrics body")
}

/// Routes under CORS (every route), a hook's layer (every route) and a token (one route).
mod api {
    use asyncworker::http::axum::middleware::{Next, from_fn};
    use asyncworker::http::{
        HeaderValue, HttpError, IntoResponse, Layers, Method, Request, Response, StatusCode, header,
    };
    use asyncworker::prelude::*;
    use tower_http::cors::CorsLayer;

    #[route(http = ["/open"])]
    async fn open() -> &'static str {
        "open"
    }

    #[route(http = ["/admin"], layers = token_layers)]
    async fn admin() -> &'static str {
        "admin"
    }

    async fn require_token(req: Request, next: Next) -> Response {
        match req.headers().get(header::AUTHORIZATION) {
            Some(v) if v == "Bearer t0ken" => next.run(req).await,
            _ => HttpError::new(StatusCode::UNAUTHORIZED, "a bearer token is required")
                .into_response(),
        }
    }

    fn token_layers() -> Layers {
        Layers::new().layer(from_fn(require_token))
    }

    /// What `main!(http_layers = cors_layers)` would set.
    pub fn cors_layers() -> Layers {
        Layers::new().layer(
            CorsLayer::new()
                .allow_origin(HeaderValue::from_static(super::ORIGIN))
                .allow_methods([Method::GET, Method::POST]),
        )
    }

    /// A layer added from a startup hook: marks every answer it wraps.
    #[on_startup]
    async fn hook_layer(app: &App) -> Result<(), asyncworker::StateError> {
        app.http_layers(
            Layers::new().layer(from_fn(|req: Request, next: Next| async {
                let mut res = next.run(req).await;
                res.headers_mut()
                    .insert("x-hook-layer", HeaderValue::from_static("1"));
                res
            })),
        )
    }
}

async fn start_api() -> (Running, String) {
    let mut settings = http_settings(&unique_prefix("mw"));
    settings.http_layers = Some(api::cors_layers);
    let worker = Running::start(&module("api"), settings);
    let base = format!("http://{}", worker.http_addr().await);
    (worker, base)
}

fn module(name: &str) -> String {
    format!("{}::{name}", module_path!())
}

#[tokio::test]
async fn cors_answers_preflights_and_marks_answers_of_every_route_but_the_builtins() {
    let (worker, base) = start_api().await;
    let c = client();
    // Preflight on a path whose route has no OPTIONS: the layer answers it.
    let res = c
        .request(reqwest::Method::OPTIONS, format!("{base}/open"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(res.status(), 200);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], ORIGIN);
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("POST"), "{methods}");
    // The built-in endpoints are under no layer of the user's.
    for (path, layered) in [
        ("/open", true),
        ("/admin", true),
        ("/health/live", false),
        ("/metrics", false),
    ] {
        let res = c
            .get(format!("{base}{path}"))
            .header("origin", ORIGIN)
            .send()
            .await
            .expect("GET");
        let h = res.headers();
        let cors = h
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap());
        assert_eq!(cors, layered.then_some(ORIGIN), "{path}");
        let hook = h.get("x-hook-layer").map(|v| v.to_str().unwrap());
        assert_eq!(hook, layered.then_some("1"), "{path}");
    }
    worker.stop().await.expect("stop");
}

#[tokio::test]
async fn a_route_layer_guards_its_route_only_and_its_answers_are_counted() {
    let (worker, base) = start_api().await;
    let c = client();
    let res = c.get(format!("{base}/admin")).send().await.expect("GET");
    assert_eq!(res.status(), 401);
    let body = json(&res.text().await.expect("body"));
    assert_eq!(body["status"], 401);
    assert_eq!(body["error"], "a bearer token is required");
    let res = c
        .get(format!("{base}/admin"))
        .bearer_auth("t0ken")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "admin");
    // No token needed elsewhere.
    let res = c.get(format!("{base}/open")).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    // The 401 never reached the route's guard, and is counted once all the same; the 200s
    // are counted once each (by the guard, not again outside the layers).
    let text = metrics(&base).await;
    for series in [
        r#"asyncworker_http_requests_total{route="/admin",method="GET",status="401"} 1"#,
        r#"asyncworker_http_requests_total{route="/admin",method="GET",status="200"} 1"#,
        r#"asyncworker_http_requests_total{route="/open",method="GET",status="200"} 1"#,
    ] {
        assert!(text.contains(series), "{series} missing from:\n{text}");
    }
    worker.stop().await.expect("stop");
}

/// A route that holds every request until the test opens the gate.
mod slow {
    use super::*;
    use asyncworker::prelude::*;

    pub struct Gate {
        pub entered: AtomicUsize,
        pub open: tokio::sync::watch::Sender<bool>,
    }

    #[route(http = ["/slow"])]
    async fn slow(gate: State<Gate>) -> &'static str {
        let mut open = gate.open.subscribe();
        gate.entered.fetch_add(1, Ordering::SeqCst);
        let _ = open.wait_for(|o| *o).await;
        "done"
    }

    #[on_startup]
    async fn init(app: &App) -> Result<(), asyncworker::StateError> {
        app.insert(Gate {
            entered: AtomicUsize::new(0),
            open: tokio::sync::watch::channel(false).0,
        })
    }
}

#[tokio::test]
async fn requests_beyond_max_in_flight_get_503_at_once_and_builtins_still_answer() {
    const LIMIT: usize = 3;
    const EXTRA: usize = 4;
    let mut settings: Settings = http_settings(&unique_prefix("shed"));
    settings.http_max_in_flight = LIMIT;
    let worker = Running::start(&module("slow"), settings);
    let base = format!("http://{}", worker.http_addr().await);
    let gate = worker.app.state::<slow::Gate>();
    let c = client();
    let held: Vec<_> = (0..LIMIT)
        .map(|_| tokio::spawn(c.get(format!("{base}/slow")).send()))
        .collect();
    wait_until(
        Duration::from_secs(10),
        "the limit's requests in the handler",
        || {
            let n = gate.entered.load(Ordering::SeqCst);
            async move { n == LIMIT }
        },
    )
    .await;
    // The limit is full: each further request is refused at once, not queued (it would
    // otherwise wait for the gate, which only opens below).
    for _ in 0..EXTRA {
        let res = c.get(format!("{base}/slow")).send().await.expect("GET");
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "1");
        let body = json(&res.text().await.expect("body"));
        assert_eq!(body["status"], 503);
    }
    let live = c.get(format!("{base}/health/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let text = metrics(&base).await;
    for series in [
        format!(r#"asyncworker_http_shed_total{{route="/slow"}} {EXTRA}"#),
        format!(
            r#"asyncworker_http_requests_total{{route="/slow",method="GET",status="503"}} {EXTRA}"#
        ),
    ] {
        assert!(text.contains(&series), "{series} missing from:\n{text}");
    }
    assert_eq!(
        gate.entered.load(Ordering::SeqCst),
        LIMIT,
        "no refused request ran"
    );
    gate.open.send_replace(true);
    for request in held {
        let res = request.await.unwrap().expect("held GET");
        assert_eq!(res.status(), 200);
        assert_eq!(res.text().await.unwrap(), "done");
    }
    // The places are free again.
    let res = c.get(format!("{base}/slow")).send().await.expect("GET");
    assert_eq!(res.status(), 200);
    worker.stop().await.expect("stop");
}

/// What the server sends on a new connection given `request`, up to its close (bounded).
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("write");
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    });
    read.await.expect("an answer within 20 s");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_request_head_over_the_limit_gets_431_and_the_server_keeps_serving() {
    let settings = http_settings(&unique_prefix("431"));
    assert_eq!(settings.http_max_header_size, 16 * 1024);
    let worker = Running::start(&module("api"), settings);
    let addr = worker.http_addr().await;
    let big = "a".repeat(64 * 1024);
    let request = format!("GET /open HTTP/1.1\r\nhost: x\r\nx-big: {big}\r\n\r\n");
    let answer = raw(addr, request.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 431"),
        "expected 431, got {:?}",
        &answer[..answer.len().min(200)]
    );
    // A normal request on a new connection.
    let res = client()
        .get(format!("http://{addr}/open"))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK.as_u16());
    worker.stop().await.expect("stop");
}
