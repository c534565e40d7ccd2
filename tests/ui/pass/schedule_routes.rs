use asyncworker::prelude::*;

struct Db;

#[route(every = "30s")]
async fn plain() {}

#[route(every = "200ms", name = "fast", max_concurrency = 2, immediately = true, timeout = "1s")]
async fn with_options(app: App, db: State<Db>) -> Result<(), std::io::Error> {
    let _ = (app, db);
    Ok(())
}

#[route(cron = "0 */5 * * * *")]
async fn every_five_minutes(_db: State<Db>) -> anyhow::Result<()> {
    Ok(())
}

#[route(cron = "0 0 12 * * Mon-Fri")]
async fn noon() {}

fn main() {}
