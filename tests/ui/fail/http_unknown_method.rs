use asyncworker::prelude::*;

#[route(http = ["/"], methods = ["GET", "FETCH", "post"])]
async fn index() -> &'static str {
    "index"
}

fn main() {}
