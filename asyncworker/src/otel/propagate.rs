//! W3C trace context in AMQP headers and HTTP requests.

#[cfg(feature = "amqp")]
use lapin::BasicProperties;
#[cfg(feature = "amqp")]
use lapin::types::{AMQPValue, FieldTable};
use opentelemetry::Context;
#[cfg(any(feature = "amqp", feature = "http"))]
use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::TraceContextExt as _;
#[cfg(any(feature = "amqp", feature = "http"))]
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

#[cfg(any(feature = "amqp", feature = "http"))]
use super::export::enabled;

/// The headers W3C trace context travels in.
#[cfg(any(feature = "amqp", feature = "http"))]
const FIELDS: [&str; 2] = ["traceparent", "tracestate"];

/// `properties` with the current span's `traceparent`/`tracestate` in their headers, unless
/// they already carry a `traceparent` (set by the user, or a copy that keeps its original's).
#[cfg(feature = "amqp")]
pub(crate) fn inject_amqp(properties: BasicProperties) -> BasicProperties {
    if !enabled() {
        return properties;
    }
    let mut headers = properties.headers().clone().unwrap_or_default();
    if headers.inner().contains_key("traceparent") {
        return properties;
    }
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, &mut AmqpHeaders(&mut headers));
    properties.with_headers(headers)
}

/// The producer's context of a consumed message, if its headers carry one.
#[cfg(feature = "amqp")]
pub(crate) fn remote_of_amqp(properties: &BasicProperties) -> Option<Context> {
    if !enabled() {
        return None;
    }
    let headers = properties.headers().as_ref()?;
    let cx = TraceContextPropagator::new().extract(&AmqpHeadersRead(headers));
    cx.span().span_context().is_valid().then_some(cx)
}

/// Ties a handler span to its items' producers: the child of the producer for a single
/// item, a link to each producer for a bulk.
pub(crate) fn link_or_parent(span: &tracing::Span, mut remotes: Vec<Context>, items: usize) {
    if items == 1
        && let Some(cx) = remotes.pop()
    {
        let _ = span.set_parent(cx);
        return;
    }
    for cx in remotes {
        span.add_link(cx.span().span_context().clone());
    }
}

/// The span of one HTTP request to `route`, the child of the context the request carries if
/// any; no span at all without an exporter (the log output stays as it was).
#[cfg(feature = "http")]
pub(crate) fn http_span(req: &axum::extract::Request, route: &str) -> tracing::Span {
    if !enabled() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!("http request", http.method = %req.method(), http.route = route);
    let cx = TraceContextPropagator::new().extract(&HttpHeaders(req.headers()));
    if cx.span().span_context().is_valid() {
        let _ = span.set_parent(cx);
    }
    span
}

/// AMQP headers as the propagator reads and writes them (long strings).
#[cfg(feature = "amqp")]
struct AmqpHeaders<'a>(&'a mut FieldTable);

#[cfg(feature = "amqp")]
impl opentelemetry::propagation::Injector for AmqpHeaders<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0
            .insert(key.into(), AMQPValue::LongString(value.into()));
    }
}

/// AMQP headers of a consumed message, read.
#[cfg(feature = "amqp")]
struct AmqpHeadersRead<'a>(&'a FieldTable);

#[cfg(feature = "amqp")]
impl Extractor for AmqpHeadersRead<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match self.0.inner().get(key)? {
            AMQPValue::LongString(s) => std::str::from_utf8(s.as_bytes()).ok(),
            AMQPValue::ShortString(s) => Some(s.as_str()),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        FIELDS.to_vec()
    }
}

/// HTTP request headers as the propagator reads them.
#[cfg(feature = "http")]
struct HttpHeaders<'a>(&'a axum::http::HeaderMap);

#[cfg(feature = "http")]
impl Extractor for HttpHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.to_str().ok()
    }

    fn keys(&self) -> Vec<&str> {
        FIELDS.to_vec()
    }
}
