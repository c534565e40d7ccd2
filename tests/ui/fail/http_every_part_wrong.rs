use asyncworker::http::{Json, Path};
use asyncworker::prelude::*;

struct NotAnExtractor;
struct NotAResponse;

#[derive(serde::Deserialize)]
struct Order {
    id: u64,
}

// Each wrong part is reported at its own type: an argument axum cannot extract, a body
// extractor before the last argument, a return type that is not a response.
#[route(http = ["/orders/{id}"], methods = ["POST"])]
async fn save(x: NotAnExtractor, body: Json<Order>, Path(id): Path<u64>) -> NotAResponse {
    let _ = (x, body.id, id);
    NotAResponse
}

fn main() {}
