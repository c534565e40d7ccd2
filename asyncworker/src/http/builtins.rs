//! The built-in endpoints (where the settings put them, and what they answer) and the JSON
//! answers for unknown paths and methods.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use super::extract::HttpError;
use super::guard::{Guard, Guarded};
use crate::app::App;
use crate::settings::Settings;

/// Which built-in endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Live,
    Ready,
    Metrics,
}

/// A built-in endpoint, at the path the settings give it.
#[derive(Debug, Clone)]
pub(crate) struct Builtin {
    pub(crate) path: String,
    kind: Kind,
}

impl Builtin {
    /// The built-in endpoints: none with `ASYNCWORKER_HTTP_ENABLED=false`.
    pub(crate) fn all(settings: &Settings) -> Vec<Builtin> {
        if !settings.http_enabled {
            return Vec::new();
        }
        let at = |path: &String, kind| Builtin {
            path: path.clone(),
            kind,
        };
        vec![
            at(&settings.http_live_path, Kind::Live),
            at(&settings.http_ready_path, Kind::Ready),
            at(&settings.http_metrics_path, Kind::Metrics),
        ]
    }

    /// What it is and which setting moves it, for startup errors.
    pub(crate) fn origin(&self) -> String {
        let (what, var) = match self.kind {
            Kind::Live => ("liveness endpoint", "ASYNCWORKER_HTTP_LIVE_PATH"),
            Kind::Ready => ("readiness endpoint", "ASYNCWORKER_HTTP_READY_PATH"),
            Kind::Metrics => ("metrics endpoint", "ASYNCWORKER_HTTP_METRICS_PATH"),
        };
        format!("the built-in {what} ({var})")
    }

    /// Its `GET`, under `guard`.
    pub(crate) fn method_router(&self, guard: Guard) -> MethodRouter<App> {
        match self.kind {
            Kind::Live => axum::routing::get(Guarded {
                handler: live,
                guard,
            }),
            Kind::Ready => axum::routing::get(Guarded {
                handler: ready,
                guard,
            }),
            Kind::Metrics => axum::routing::get(Guarded {
                handler: metrics,
                guard,
            }),
        }
    }
}

/// `GET /health/live`: the process is up and serving.
pub(crate) async fn live() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"live"}"#,
    )
        .into_response()
}

/// `GET /health/ready`: 200 when startup is done, every consumer is attached and every
/// check the user added passes, else 503 naming what is not ready (a failing check as
/// `check <name>`), and why when a connection or a check says (`reasons`). A worker with
/// `singleton = true` schedules adds `singletons`: per route, `leader` or `standby`.
pub(crate) async fn ready(axum::extract::State(app): axum::extract::State<App>) -> Response {
    let mut not_ready = app.health().not_ready();
    let mut reasons = app.health().reasons();
    // Checks run only once startup is done: the hooks register them and set up what they
    // check.
    if app.health().started() {
        for (name, why) in app.health().failing_checks().await {
            let part = format!("check {name}");
            not_ready.push(part.clone());
            reasons.insert(part, why);
        }
    }
    let (status, mut body) = if not_ready.is_empty() {
        (StatusCode::OK, serde_json::json!({ "status": "ready" }))
    } else {
        let mut body = serde_json::json!({ "status": "not ready", "not_ready": not_ready });
        // Why, when something says (a broker connection's last error): only then, so that
        // the body stays as it was otherwise.
        if !reasons.is_empty() {
            body["reasons"] = serde_json::json!(reasons);
        }
        (StatusCode::SERVICE_UNAVAILABLE, body)
    };
    // Which replica fires each `singleton = true` route; only when there is one, so that the
    // body of other workers stays as it was.
    let singletons = app.health().singletons();
    if !singletons.is_empty() {
        body["singletons"] = serde_json::json!(singletons);
    }
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
