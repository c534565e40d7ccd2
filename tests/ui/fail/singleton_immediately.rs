use asyncworker::prelude::*;

#[route(every = "1m", singleton = true, immediately = true)]
async fn report() {}

fn main() {}
