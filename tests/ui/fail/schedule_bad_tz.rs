use asyncworker::prelude::*;

#[route(cron = "0 9 * * Mon-Fri", tz = "Europe/Berln")]
async fn report() {}

#[route(cron = "0 9 * * *", tz = "berlin")]
async fn daily() {}

fn main() {}
