use asyncworker::prelude::*;

#[route(every = "0s")]
async fn tick() {}

fn main() {}
