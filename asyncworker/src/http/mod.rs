//! HTTP routes: `#[route(http = ["/", "/users/{id}"], methods = ["GET", "POST"])]` on any
//! [axum](https://docs.rs/axum/0.8) handler, served next to the consumers with health, metrics
//! and hardening built in.
//!
//! ```no_run
//! use asyncworker::prelude::*;
//! use asyncworker::http::{Json, Path, Query};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Paging { limit: Option<u32> }
//!
//! #[derive(Deserialize, Serialize)]
//! struct User { id: u64, name: String }
//!
//! struct Db;
//!
//! #[route(http = ["/users/{id}"])]
//! async fn get_user(_db: State<Db>, Path(id): Path<u64>, Query(p): Query<Paging>) -> Json<User> {
//!     let _ = p.limit;
//!     Json(User { id, name: "ada".into() })
//! }
//!
//! /// The body extractor comes last, as in axum.
//! #[route(http = ["/users"], methods = ["POST", "PUT"])]
//! async fn save_user(app: App, Json(user): Json<User>) -> Json<User> {
//!     let _ = app.is_shutting_down();
//!     Json(user)
//! }
//!
//! #[on_startup]
//! async fn init(app: &App) -> Result<(), asyncworker::StateError> {
//!     app.insert(Db)
//! }
//!
//! asyncworker::main!();
//! ```
//!
//! Handlers are plain axum handlers: any extractor of axum works (`HeaderMap`, `Method`, `Uri`,
//! `String`, `Bytes`, the types of [`axum`] re-exported here), plus asyncworker's
//! [`State<T>`](crate::State) and [`App`](crate::App). Use this module's [`Json`], [`Path`] and
//! [`Query`] rather than axum's: they behave the same but reject bad input with a JSON body
//! (`{"error": "...", "status": 400}`), like every error the server produces itself.
//!
//! # What the server does for you
//!
//! | situation | answer |
//! |---|---|
//! | unknown path | 404, JSON body |
//! | known path, other method | 405 with `Allow`, JSON body |
//! | malformed JSON / wrong content type / JSON of the wrong shape | 400 / 415 / 422, JSON body |
//! | body over `ASYNCWORKER_HTTP_BODY_LIMIT` (2 MiB) | 413 at once when `Content-Length` says so, else as soon as the limit is crossed; never buffered beyond the limit |
//! | request not answered within `ASYNCWORKER_HTTP_REQUEST_TIMEOUT` (30 s) | 408 |
//! | request head not received within `ASYNCWORKER_HTTP_HEADER_READ_TIMEOUT` (30 s), or an idle keep-alive connection | connection closed |
//! | more than `ASYNCWORKER_HTTP_MAX_CONNECTIONS` (1024) connections | the extra ones wait in the listen backlog |
//! | more than `ASYNCWORKER_HTTP_MAX_IN_FLIGHT` (default 0: no limit) requests to your routes at once | 503 with `Retry-After: 1` at once, JSON body; counted in `asyncworker_http_shed_total{route}`; built-in endpoints are never refused |
//! | request line and headers over `ASYNCWORKER_HTTP_MAX_HEADER_SIZE` (16 KiB, at least 8 KiB) | 431, connection closed |
//! | handler panics | 500, JSON body; the server keeps serving |
//! | shutdown (SIGTERM) | stops accepting, closes idle connections, finishes in-flight requests within `ASYNCWORKER_SHUTDOWN_TIMEOUT` |
//!
//! # Middleware
//!
//! Tower layers (tower-http's CORS, compression, request ids, your authentication) go around
//! every route of yours with `main!(http_layers = ...)` or [`App::http_layers`](crate::App::http_layers)
//! in a startup hook, and around one route with `#[route(http = [...], layers = ...)]`; see
//! [`Layers`] for the order and what they cover (never the built-in endpoints).
//!
//! Built in (unless `ASYNCWORKER_HTTP_ENABLED=false`): `GET /health/live`, `GET /health/ready`
//! (503 with the parts not ready: startup, each AMQP consumer) and `GET /metrics` (Prometheus);
//! the paths are settings. Every request is counted in `asyncworker_http_requests_total{route,
//! method, status}` and timed in `asyncworker_http_request_duration_seconds{route, method}`, with
//! the route's path template (`/users/{id}`) as `route`.

// From the macro's contract to the socket: `def` (what `#[route]` registers), `handler` and
// `extract` (what a handler may be and take), `describe` (what its signature tells the OpenAPI
// document, which `openapi` writes), `routes` (clashes), `builtins` (and `docs_page`), `guard` (what runs
// around every handler) and `shed` (its in-flight limit), `layers` (the user's tower layers
// around the routes), `router` (all of it as one axum router), `backend` (prepare, list,
// check, run) and `server` (the accept loop).

mod backend;
mod builtins;
mod def;
mod describe;
#[cfg(feature = "docs")]
mod docs_page;
mod extract;
mod guard;
mod handler;
mod layers;
mod openapi;
mod router;
mod routes;
mod server;
mod shed;

pub use axum;
pub use axum::body::{Body, Bytes};
pub use axum::extract::Request;
pub use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
pub use axum::response::{Html, IntoResponse, Redirect, Response};
#[cfg(feature = "testing")]
pub(crate) use backend::in_process;
pub(crate) use backend::prepare;
pub use def::HttpRouteDef;
pub use extract::{HttpError, Json, Path, Query};
pub use handler::{HttpExtractor, HttpHandler, HttpLastArg, HttpResponse};
pub use layers::{HttpLayers, Layers};

/// What the code `#[route(http = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::def::HttpRouteDef;
    pub use super::describe::{
        HttpArgProbe, HttpErrorProbe, HttpReplyProbe, Signature as HttpSignature,
        probes as http_probes,
    };
    pub use super::handler::{
        HttpFactory, ProbeOther, ProbeState, StateNeeds, StateProbe, assert_http_extractor,
        assert_http_last_arg, assert_http_return, http_factory,
    };
    pub use super::layers::{NO_HTTP_LAYERS, http_route_layers};
}
