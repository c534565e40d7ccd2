use asyncworker::prelude::*;

#[route(every = "30s")]
async fn tick(app: App) {
    let _ = app;
}

#[route(cron = "0 */5 * * * *")]
async fn report() {}

fn main() {}
