use asyncworker::prelude::*;

#[route(every = "1h", tz = "Europe/Berlin")]
async fn hourly() {}

fn main() {}
