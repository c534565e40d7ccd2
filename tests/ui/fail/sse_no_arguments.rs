use asyncworker::prelude::*;

#[route(sse = ["/v2/events"])]
async fn handle() {}

fn main() {}
