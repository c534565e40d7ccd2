use asyncworker::prelude::*;

#[route(every = "30 seconds")]
async fn tick() {}

fn main() {}
