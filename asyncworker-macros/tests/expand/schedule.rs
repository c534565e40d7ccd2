use asyncworker::prelude::*;

/// Publishes the totals every thirty seconds, and once at start.
#[route(every = "30s", immediately = true, timeout = "10s", publishes = [Totals => "stats:totals", ":audit"])]
async fn report(app: App) -> anyhow::Result<()> {
    app.state::<Totals>().publish().await
}

/// Compacts the store at the top of every hour; a plain `fn` runs on the blocking pool.
#[route(cron = "0 0 * * * *", name = "compact", max_concurrency = 2)]
fn compact(db: State<Db>) {
    db.compact();
}
