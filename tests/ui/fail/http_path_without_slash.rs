use asyncworker::prelude::*;

#[route(http = ["users", "/ok"])]
async fn users() -> &'static str {
    "users"
}

fn main() {}
