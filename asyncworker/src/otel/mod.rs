//! OpenTelemetry (feature `otel`): the OTLP exporter the standard `OTEL_*` variables
//! configure, and W3C trace context (`traceparent`, `tracestate`) carried in AMQP message
//! headers and read from HTTP requests.
//!
//! Without `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) nothing is
//! installed: no layer, no exporter, and the propagation helpers return at their first line.

mod export;
mod propagate;

pub(crate) use export::{layer, log_state, shutdown};
#[cfg(feature = "http")]
pub(crate) use propagate::http_span;
pub(crate) use propagate::link_or_parent;
#[cfg(feature = "amqp")]
pub(crate) use propagate::{inject_amqp, remote_of_amqp};
