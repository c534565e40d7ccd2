//! Trace context across services (`--features otel`): a message published by pika with a
//! known `traceparent` reaches `aw_otel`'s handler, which publishes onward; an HTTP request
//! with a `traceparent` gets a child span. Spans are collected by an OTLP/HTTP receiver
//! served here, the protobuf export requests decoded with opentelemetry-proto.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asyncworker_tests::{Broker, Proc, unique_prefix};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

/// Every span the worker exported.
type Spans = Arc<Mutex<Vec<Span>>>;

/// An OTLP/HTTP trace receiver on a free port: its address and what it received.
async fn receiver() -> (String, Spans) {
    let spans: Spans = Arc::default();
    let store = Arc::clone(&spans);
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: axum::body::Bytes| async move {
            let request = ExportTraceServiceRequest::decode(body).expect("an OTLP export request");
            let mut all = store.lock().unwrap();
            for resource in request.resource_spans {
                for scope in resource.scope_spans {
                    all.extend(scope.spans);
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), spans)
}

/// Publishes `body` to `queue` with pika (another client, as another service would), with
/// the W3C `traceparent` of `trace` and `parent`.
fn publish_with_pika(queue: &str, body: &str, trace: &str, parent: &str) {
    let script = r#"
import sys, pika
queue, body, traceparent = sys.argv[1:4]
conn = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2f"))
ch = conn.channel()
ch.confirm_delivery()
ch.basic_publish("", queue, body.encode(), pika.BasicProperties(
    content_type="application/json", delivery_mode=2,
    headers={"traceparent": traceparent}))
conn.close()
"#;
    let traceparent = format!("00-{trace}-{parent}-01");
    let status = std::process::Command::new("python3")
        .args(["-c", script, queue, body, &traceparent])
        .status()
        .expect("python3");
    assert!(
        status.success(),
        "the pika publisher failed (pip install pika)"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The worker's HTTP address, from its log line.
async fn http_addr(proc: &Proc) -> String {
    let start = Instant::now();
    loop {
        let found = proc.stdout().iter().find_map(|line| {
            let at = line.find("listening on http://")? + "listening on http://".len();
            Some(line[at..].split_whitespace().next()?.to_owned())
        });
        if let Some(addr) = found {
            return addr;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "aw_otel did not log its address; stdout: {:?}; stderr: {}",
            proc.stdout(),
            proc.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn trace_context_follows_a_message_through_the_handler_and_an_http_request() {
    let (endpoint, spans) = receiver().await;
    let prefix = unique_prefix("otel");
    let (inbound, out) = (format!("{prefix}otel.in"), format!("{prefix}otel.out"));
    let bulk_queue = format!("{prefix}otel.bulk");
    let broker = Broker::connect().await;
    for queue in [&inbound, &out, &bulk_queue] {
        broker.declare(queue).await;
    }

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_otel"));
    cmd.env("ASYNCWORKER_AMQP_QUEUE_PREFIX", &prefix)
        .env("ASYNCWORKER_HTTP_PORT", "0")
        .env("ASYNCWORKER_LOG", "info")
        .env("AW_OTEL_OUT", &out)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_SERVICE_NAME", "aw-otel-test")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100");
    let mut proc = Proc::spawn(cmd);
    let addr = http_addr(&proc).await;

    // A message from another service, with its trace context.
    publish_with_pika(&inbound, r#"{"order": 1}"#, TRACE_ID, PARENT_ID);
    // Two messages of two traces that one bulk call handles.
    let producers = [
        ("11111111111111111111111111111111", "1111111111111111"),
        ("22222222222222222222222222222222", "2222222222222222"),
    ];
    for (i, (trace, parent)) in producers.iter().enumerate() {
        publish_with_pika(&bulk_queue, &i.to_string(), trace, parent);
    }
    let start = Instant::now();
    let onward = loop {
        let got = broker.take_all(&out).await;
        if !got.is_empty() {
            break got;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nothing was published onward; stdout: {:?}",
            proc.stdout()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let headers = onward[0].properties.headers().clone().expect("headers");
    let traceparent = match headers.inner().get("traceparent") {
        Some(lapin::types::AMQPValue::LongString(s)) => s.to_string(),
        other => panic!("no traceparent on the onward message: {other:?}"),
    };
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(parts[1], TRACE_ID, "the onward message continues the trace");
    let handler_span_id = parts[2].to_owned();
    assert_ne!(handler_span_id, PARENT_ID);

    // An HTTP request with its own trace context.
    let (http_trace, http_parent) = ("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331");
    let res = reqwest::Client::new()
        .get(format!("http://{addr}/traced"))
        .header("traceparent", format!("00-{http_trace}-{http_parent}-01"))
        .send()
        .await
        .expect("GET /traced");
    assert_eq!(res.status(), 200);

    // Stopping flushes what is still buffered.
    proc.signal("TERM");
    let status = proc.wait(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
    broker.delete(&out).await;
    broker.delete(&inbound).await;
    broker.delete(&bulk_queue).await;

    let spans = spans.lock().unwrap().clone();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    // The handler's span: the child of pika's producer span, and the parent of the onward
    // message's context.
    let handler = spans
        .iter()
        .find(|s| s.name == "handler" && hex(&s.trace_id) == TRACE_ID)
        .unwrap_or_else(|| panic!("no handler span in the trace; spans: {names:?}"));
    assert_eq!(hex(&handler.parent_span_id), PARENT_ID);
    assert_eq!(hex(&handler.span_id), handler_span_id);
    // The HTTP request's span, the child of the caller's.
    let request = spans
        .iter()
        .find(|s| s.name == "http request" && hex(&s.trace_id) == http_trace)
        .unwrap_or_else(|| panic!("no HTTP request span in the trace; spans: {names:?}"));
    assert_eq!(hex(&request.parent_span_id), http_parent);
    // The bulk's one span, linked to both producers.
    let bulk = spans
        .iter()
        .find(|s| s.name == "handler" && s.links.len() == 2)
        .unwrap_or_else(|| panic!("no handler span with two links; spans: {spans:?}"));
    let mut linked: Vec<(String, String)> = bulk
        .links
        .iter()
        .map(|l| (hex(&l.trace_id), hex(&l.span_id)))
        .collect();
    linked.sort();
    let expected: Vec<(String, String)> = producers
        .iter()
        .map(|(t, p)| (t.to_string(), p.to_string()))
        .collect();
    assert_eq!(linked, expected);
}
