use asyncworker::prelude::*;

#[route(cron = "*/5 * * *")]
async fn tick() {}

fn main() {}
