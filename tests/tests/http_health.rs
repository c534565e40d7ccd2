//! The built-in endpoints next to AMQP consumers: liveness, readiness following the consumers
//! (and the broker), and Prometheus metrics moving with handled messages and requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{Broker, Job, Running, http_settings, unique_prefix, wait_until};

async fn get(url: &str) -> (u16, String) {
    let res = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("GET");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

mod consumer {
    use super::*;

    pub static HANDLED: AtomicU64 = AtomicU64::new(0);

    #[route(amqp = ["q"], bulk_size = 10, bulk_flush = "50ms")]
    async fn count(messages: Vec<Message<Job>>) {
        HANDLED.fetch_add(messages.len() as u64, Ordering::SeqCst);
    }

    #[route(http = ["/handled"])]
    async fn handled() -> String {
        HANDLED.load(Ordering::SeqCst).to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_only_once_the_consumer_is_attached() {
    let prefix = unique_prefix("http-ready");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.delete(&q).await;

    // The queue does not exist yet: the consumer keeps retrying, so the worker is live but
    // not ready, and says which consumer it waits for.
    let worker = Running::start(
        &format!("{}::consumer", module_path!()),
        http_settings(&prefix),
    );
    let base = format!("http://{}", worker.http_addr().await);
    let (status, body) = get(&format!("{base}/health/live")).await;
    assert_eq!(
        (status, json(&body)),
        (200, serde_json::json!({"status": "live"}))
    );
    let expected_part = format!("amqp count {q}");
    // Once the consumer failed to attach, it says why.
    wait_until(
        Duration::from_secs(10),
        "startup done, consumer not ready",
        || async {
            let (status, body) = get(&format!("{base}/health/ready")).await;
            let body = json(&body);
            status == 503
                && body["status"] == "not ready"
                && body["not_ready"] == serde_json::json!([expected_part.clone()])
                && body["reasons"][&expected_part]
                    .as_str()
                    .is_some_and(|r| r.contains(&format!("queue `{q}` does not exist")))
        },
    )
    .await;

    broker.declare(&q).await;
    wait_until(
        Duration::from_secs(30),
        "ready after the queue appears",
        || async {
            get(&format!("{base}/health/ready")).await == (200, r#"{"status":"ready"}"#.to_owned())
        },
    )
    .await;

    // Metrics move with handled messages.
    broker.publish_json(&q, &Job::many(25)).await;
    wait_until(Duration::from_secs(20), "25 messages handled", || async {
        get(&format!("{base}/handled")).await.1 == "25"
    })
    .await;
    let res = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
    );
    let text = res.text().await.unwrap();
    for line in [
        format!(r#"asyncworker_messages_total{{route="count",queue="{q}",outcome="ack"}} 25"#),
        r#"asyncworker_bulk_size_count{route="count"} "#.to_owned(),
        r#"asyncworker_handler_duration_seconds_count{route="count"} "#.to_owned(),
        r#"asyncworker_handlers_in_flight{route="count"} 0"#.to_owned(),
        format!(r#"asyncworker_decode_errors_total{{route="count",queue="{q}"}} 0"#),
        r#"asyncworker_http_requests_total{route="/handled",method="GET",status="200"} "#
            .to_owned(),
        r#"asyncworker_http_requests_total{route="/health/ready",method="GET",status="503"} "#
            .to_owned(),
        r#"asyncworker_http_request_duration_seconds_count{route="/handled",method="GET"} "#
            .to_owned(),
        r#"asyncworker_bulk_flushes_total{route="count",reason="#.to_owned(),
    ] {
        assert!(text.contains(&line), "missing `{line}` in\n{text}");
    }
    // Requests to paths no route matches are counted under one label, not per path.
    assert_eq!(get(&format!("{base}/no/such/path")).await.0, 404);
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"asyncworker_http_requests_total{route="unmatched",method="GET",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(!text.contains("/no/such/path"), "{text}");

    worker.stop().await.unwrap();
    broker.delete(&q).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_while_the_broker_is_unreachable() {
    let prefix = unique_prefix("http-nobroker");
    let mut settings = http_settings(&prefix);
    settings.amqp_urls = vec!["amqp://guest:guest@127.0.0.1:1/%2f".into()];
    settings.shutdown_timeout = Duration::from_secs(2);
    let worker = Running::start(&format!("{}::consumer", module_path!()), settings);
    let base = format!("http://{}", worker.http_addr().await);
    // Live (the process serves) but not ready, for as long as the broker stays unreachable.
    for _ in 0..5 {
        assert_eq!(get(&format!("{base}/health/live")).await.0, 200);
        let (status, body) = get(&format!("{base}/health/ready")).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(
            json(&body)["not_ready"],
            serde_json::json!([format!("amqp count {prefix}q")])
        );
    }
    worker.stop().await.unwrap();
}

mod checked {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// Whether the "downstream" the check asks is up.
    pub static UP: AtomicBool = AtomicBool::new(false);
    pub static RUNS: AtomicU64 = AtomicU64::new(0);

    #[on_startup]
    async fn register(app: &App) -> Result<(), std::convert::Infallible> {
        app.health().check("downstream", || async {
            RUNS.fetch_add(1, Ordering::SeqCst);
            match UP.load(Ordering::SeqCst) {
                true => Ok(()),
                false => Err("connection refused by 127.0.0.1:5433"),
            }
        });
        Ok(())
    }

    // A worker needs a route.
    #[route(http = ["/ping"])]
    async fn ping() -> &'static str {
        "pong"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_readiness_check_is_named_until_it_passes() {
    let prefix = unique_prefix("http-check");
    let worker = Running::start(
        &format!("{}::checked", module_path!()),
        http_settings(&prefix),
    );
    let url = format!("http://{}/health/ready", worker.http_addr().await);
    wait_until(Duration::from_secs(10), "503 naming the check", || async {
        let (status, body) = get(&url).await;
        let body = json(&body);
        status == 503
            && body["not_ready"] == serde_json::json!(["check downstream"])
            && body["reasons"]["check downstream"] == "connection refused by 127.0.0.1:5433"
    })
    .await;

    checked::UP.store(true, Ordering::SeqCst);
    // Within a second the cached failure may still answer; then the check runs again.
    wait_until(
        Duration::from_secs(10),
        "200 once the check passes",
        || async {
            let (status, body) = get(&url).await;
            status == 200 && json(&body) == serde_json::json!({"status": "ready"})
        },
    )
    .await;
    assert!(checked::RUNS.load(Ordering::SeqCst) >= 2);
    worker.stop().await.expect("stops cleanly");
}
