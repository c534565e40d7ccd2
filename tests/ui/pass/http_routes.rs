//! HTTP handlers of every shape: no argument, head extractors, asyncworker's State and App,
//! a body extractor last, several paths and methods, axum types through `asyncworker::http`.

use asyncworker::http::{
    Bytes, HeaderMap, HttpError, IntoResponse, Json, Method, Path, Query, Response, StatusCode,
};
use asyncworker::prelude::*;
use serde::{Deserialize, Serialize};

struct Db;

#[derive(Deserialize, Serialize)]
struct Order {
    id: u64,
}

#[derive(Deserialize)]
struct Page {
    limit: Option<u32>,
}

#[route(http = ["/", "/index.html"])]
async fn index() -> &'static str {
    "hello"
}

#[route(http = ["/orders/{id}"], methods = ["GET", "DELETE"], name = "order")]
async fn order(
    _db: State<Db>,
    app: App,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<u64>,
    Query(page): Query<Page>,
) -> Result<Json<Order>, HttpError> {
    let _ = (app.is_shutting_down(), method, headers.len(), page.limit);
    Ok(Json(Order { id }))
}

#[route(http = ["/orders"], methods = ["POST", "PUT", "PATCH"])]
async fn save(db: State<Db>, Json(order): Json<Order>) -> (StatusCode, Json<Order>) {
    let _: &Db = &db;
    (StatusCode::CREATED, Json(order))
}

#[route(http = ["/raw/{*rest}"], methods = ["POST"])]
async fn raw(Path(rest): Path<String>, body: Bytes) -> Response {
    format!("{rest}: {} bytes", body.len()).into_response()
}

#[route(http = ["/axum"])]
async fn with_axum_types(uri: asyncworker::http::axum::http::Uri) -> asyncworker::http::Html<String> {
    asyncworker::http::Html(uri.to_string())
}

#[on_startup]
async fn init(app: &App) -> Result<(), asyncworker::StateError> {
    app.insert(Db)
}

fn main() {}
