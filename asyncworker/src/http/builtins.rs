//! The built-in endpoints and the JSON answers for unknown paths and methods.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::HttpError;
use crate::app::App;

/// `GET /health/live`: the process is up and serving.
pub(crate) async fn live() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"live"}"#,
    )
        .into_response()
}

/// `GET /health/ready`: 200 when startup is done and every consumer is attached, else 503
/// naming what is not ready.
pub(crate) async fn ready(axum::extract::State(app): axum::extract::State<App>) -> Response {
    let not_ready = app.health().not_ready();
    let (status, body) = if not_ready.is_empty() {
        (StatusCode::OK, serde_json::json!({ "status": "ready" }))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "status": "not ready", "not_ready": not_ready }),
        )
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /metrics`: every metric of the worker in the OpenMetrics text format, which
/// Prometheus reads.
pub(crate) async fn metrics(axum::extract::State(app): axum::extract::State<App>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics().encode(),
    )
        .into_response()
}

/// The answer for a known path and another method; axum adds `Allow`.
pub(crate) async fn method_not_allowed(req: Request) -> Response {
    HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "method {} is not allowed on {}",
            req.method(),
            req.uri().path()
        ),
    )
    .into_response()
}

/// The fallback for paths no route matches.
pub(crate) async fn not_found(req: Request) -> Response {
    HttpError::new(
        StatusCode::NOT_FOUND,
        format!("no route for {} {}", req.method(), req.uri().path()),
    )
    .into_response()
}
