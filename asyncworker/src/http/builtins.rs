//! The built-in endpoints (where the settings put them, and what they answer) and the JSON
//! answers for unknown paths and methods.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use serde_json::json;
use std::sync::Arc;

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
    OpenApi,
    /// The docs page (`""`) or one of its files.
    #[cfg(feature = "docs")]
    Docs(&'static str),
}

/// A built-in endpoint, at the path the settings give it.
#[derive(Debug, Clone)]
pub(crate) struct Builtin {
    pub(crate) path: String,
    kind: Kind,
    /// Swagger UI's routes, which the docs page and its files are answered by.
    #[cfg(feature = "docs")]
    page: Option<axum::Router>,
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
            #[cfg(feature = "docs")]
            page: None,
        };
        let mut all = vec![
            at(&settings.http_live_path, Kind::Live),
            at(&settings.http_ready_path, Kind::Ready),
            at(&settings.http_metrics_path, Kind::Metrics),
        ];
        if let Some(openapi) = &settings.http_openapi_path {
            all.push(at(openapi, Kind::OpenApi));
            #[cfg(feature = "docs")]
            if let Some(docs) = &settings.http_docs_path {
                let page = super::docs_page::routes(docs, openapi, &settings.app_name);
                all.extend(super::docs_page::files(docs).map(|(path, file)| Builtin {
                    page: Some(page.clone()),
                    ..at(&path, Kind::Docs(file))
                }));
            }
        }
        all
    }

    /// What it is and which setting moves it, for startup errors.
    pub(crate) fn origin(&self) -> String {
        let (what, var) = match self.kind {
            Kind::Live => ("liveness endpoint", "ASYNCWORKER_HTTP_LIVE_PATH"),
            Kind::Ready => ("readiness endpoint", "ASYNCWORKER_HTTP_READY_PATH"),
            Kind::Metrics => ("metrics endpoint", "ASYNCWORKER_HTTP_METRICS_PATH"),
            Kind::OpenApi => ("OpenAPI document", "ASYNCWORKER_HTTP_OPENAPI_PATH"),
            #[cfg(feature = "docs")]
            Kind::Docs(_) => ("docs page", "ASYNCWORKER_HTTP_DOCS_PATH"),
        };
        format!("the built-in {what} ({var})")
    }

    /// Its `GET`, under `guard`; `openapi` is the document the OpenAPI endpoint serves.
    pub(crate) fn method_router(&self, guard: Guard, openapi: &Arc<str>) -> MethodRouter<App> {
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
            Kind::OpenApi => {
                let document = Arc::clone(openapi);
                axum::routing::get(Guarded {
                    handler: move || std::future::ready(openapi_json(&document)),
                    guard,
                })
            }
            #[cfg(feature = "docs")]
            Kind::Docs(_) => {
                let page = self.page.clone().unwrap_or_default();
                axum::routing::get(Guarded {
                    handler: move |req: Request| super::docs_page::serve(page.clone(), req),
                    guard,
                })
            }
        }
    }

    /// Its operation in the OpenAPI document: `(path, operation)`; none for the docs page's
    /// files.
    pub(crate) fn openapi(&self) -> Option<(String, serde_json::Value)> {
        let json = |schema: serde_json::Value| json!({ "application/json": { "schema": schema } });
        let (id, summary, responses) = match self.kind {
            Kind::Live => (
                "asyncworker_live",
                "Liveness: the process is up and serving.",
                json!({ "200": { "description": "Live.", "content": json(json!({ "type": "object", "properties": { "status": { "const": "live" } } })) } }),
            ),
            Kind::Ready => {
                let body = json(
                    json!({ "type": "object", "required": ["status"], "properties": {
                    "status": { "type": "string" },
                    "not_ready": { "type": "array", "items": { "type": "string" } },
                    "reasons": { "type": "object", "additionalProperties": { "type": "string" } },
                    "singletons": { "type": "object", "additionalProperties": { "type": "string" } },
                } }),
                );
                (
                    "asyncworker_ready",
                    "Readiness: startup done, every consumer attached, every check passing.",
                    json!({
                        "200": { "description": "Ready.", "content": body },
                        "503": { "description": "Not ready: the parts that are not, and why.", "content": body },
                    }),
                )
            }
            Kind::Metrics => (
                "asyncworker_metrics",
                "Every metric of the worker, in the OpenMetrics text format.",
                json!({ "200": { "description": "The metrics.", "content": { "application/openmetrics-text": { "schema": { "type": "string" } } } } }),
            ),
            Kind::OpenApi => (
                "asyncworker_openapi",
                "This document.",
                json!({ "200": { "description": "The OpenAPI document.", "content": json(json!({ "type": "object" })) } }),
            ),
            #[cfg(feature = "docs")]
            Kind::Docs("") => (
                "asyncworker_docs",
                "The docs page: this document, rendered by Swagger UI.",
                json!({ "200": { "description": "The page.", "content": { "text/html": { "schema": { "type": "string" } } } } }),
            ),
            #[cfg(feature = "docs")]
            Kind::Docs(_) => return None,
        };
        let operation = json!({ "operationId": id, "summary": summary, "tags": ["built-in"], "responses": responses });
        Some((self.path.clone(), operation))
    }
}

/// `GET /openapi.json`: the document, made once when the router was.
fn openapi_json(document: &Arc<str>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.to_string(),
    )
        .into_response()
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
