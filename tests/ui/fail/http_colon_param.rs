use asyncworker::http::Path;
use asyncworker::prelude::*;

#[route(http = ["/users/:id", "/files/*rest"])]
async fn user(Path(id): Path<String>) -> String {
    id
}

fn main() {}
