//! The OTLP/HTTP exporter, installed only when an endpoint is configured.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;

use crate::runtime::TracingLayer;

/// The variables that name an endpoint; without one, nothing is exported.
const ENDPOINT_VARS: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// The provider, kept to flush it at exit.
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
/// Whether spans carry OpenTelemetry contexts: the propagation helpers do nothing otherwise.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether an exporter is installed.
pub(super) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The tracing layer exporting spans over OTLP/HTTP (protobuf) as the `OTEL_*` variables
/// say, or `None` without an endpoint (or when one was already installed).
pub(crate) fn layer() -> Option<TracingLayer> {
    let configured = ENDPOINT_VARS
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    if !configured || PROVIDER.get().is_some() {
        return None;
    }
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
    {
        Ok(e) => e,
        Err(e) => {
            // Logging is not installed yet: stderr, like a bad setting.
            eprintln!("error: the OTLP exporter cannot be built, no spans will be exported: {e}");
            return None;
        }
    };
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .build();
    let tracer = provider.tracer("asyncworker");
    let _ = PROVIDER.set(provider);
    ENABLED.store(true, Ordering::Relaxed);
    Some(Box::new(tracing_opentelemetry::layer().with_tracer(tracer)))
}

/// Says at debug level, once logging is installed, whether spans are exported.
pub(crate) fn log_state() {
    if enabled() {
        tracing::debug!("OpenTelemetry: exporting spans over OTLP/HTTP");
    } else {
        tracing::debug!(
            "OpenTelemetry: no OTEL_EXPORTER_OTLP_ENDPOINT, no exporter installed; nothing is exported"
        );
    }
}

/// Exports the spans still buffered (at exit).
pub(crate) fn shutdown() {
    if let Some(provider) = PROVIDER.get()
        && let Err(e) = provider.shutdown()
    {
        tracing::warn!(error = %e, "OpenTelemetry: spans could not all be exported at exit");
    }
}
