//! An HTTP API with tower-http middleware: CORS, gzip compression and request ids around
//! every route (`main!(http_layers = ...)`), and a bearer-token check on the admin route only
//! (`layers = ...` on the route). The health and metrics endpoints are under none of them.
//!
//! ```sh
//! cargo run -p http-middleware
//! # CORS preflight, answered by the CORS layer
//! curl -si -X OPTIONS 127.0.0.1:8080/orders -H 'origin: https://shop.example' \
//!      -H 'access-control-request-method: GET'
//! # gzip, a request id and the CORS header
//! curl -si 127.0.0.1:8080/orders -H 'accept-encoding: gzip' -H 'origin: https://shop.example' --output -
//! # 401 with a JSON body, then 200
//! curl -si 127.0.0.1:8080/admin/stats
//! curl -si 127.0.0.1:8080/admin/stats -H 'authorization: Bearer s3cret'
//! ```

use asyncworker::http::axum::middleware::{Next, from_fn};
use asyncworker::http::{
    HeaderValue, HttpError, IntoResponse, Json, Layers, Method, Request, Response, StatusCode,
    header,
};
use asyncworker::prelude::*;
use serde::Serialize;
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// One order of the public list.
#[derive(Serialize)]
struct Order {
    id: u64,
    item: String,
}

/// Public: every layer of `api_layers` applies.
#[route(http = ["/orders"])]
async fn orders() -> Json<Vec<Order>> {
    let orders = (1..=50)
        .map(|id| Order {
            id,
            item: format!("item number {id} of a list long enough to be worth compressing"),
        })
        .collect();
    Json(orders)
}

/// What the admin route tells.
#[derive(Serialize)]
struct Stats {
    orders: u64,
}

/// Admin only: `admin_layers` too, inside `api_layers`.
#[route(http = ["/admin/stats"], layers = admin_layers)]
async fn admin_stats() -> Json<Stats> {
    Json(Stats { orders: 50 })
}

/// The token the admin route wants (`ADMIN_TOKEN`, else `s3cret` for the demo).
fn admin_token() -> String {
    std::env::var("ADMIN_TOKEN").unwrap_or_else(|_| "s3cret".to_owned())
}

/// 401 with asyncworker's JSON error body unless `Authorization: Bearer <token>`.
async fn require_bearer(req: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", admin_token());
    match req.headers().get(header::AUTHORIZATION) {
        Some(given) if given.as_bytes() == expected.as_bytes() => next.run(req).await,
        _ => {
            let mut res = HttpError::new(
                StatusCode::UNAUTHORIZED,
                "this route needs `Authorization: Bearer <token>`",
            )
            .into_response();
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            res
        }
    }
}

/// Around the admin route only.
fn admin_layers() -> Layers {
    Layers::new().layer(from_fn(require_bearer))
}

/// Around every route: each layer wraps the ones before it, so the request id is set first,
/// then CORS answers preflights, and compression sees the final body.
fn api_layers() -> Layers {
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static("https://shop.example"))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]);
    Layers::new()
        .layer(CompressionLayer::new())
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

asyncworker::main!(http_layers = api_layers);
