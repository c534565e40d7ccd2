use asyncworker::prelude::*;

#[route(sqs = ["orders"])]
async fn handle() {}

fn main() {}
