use asyncworker::prelude::*;

#[route(every = "1s", max_concurrency = 0)]
async fn tick() {}

fn main() {}
