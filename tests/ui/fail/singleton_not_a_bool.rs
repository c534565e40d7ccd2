use asyncworker::prelude::*;

#[route(every = "1m", singleton = "yes")]
async fn report() {}

fn main() {}
