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

/// Fires on one replica; the run's key, for idempotent side effects.
#[route(every = "1m", singleton = true)]
async fn once_across_replicas(key: RunKey, _app: App) {
    let _: (&str, &str) = (key.route(), key.as_str());
}

#[route(cron = "0 0 3 * * *", singleton = true, immediately = false, name = "nightly")]
async fn nightly(_db: State<Db>, key: RunKey) {
    let _ = key.scheduled_at();
}

fn main() {}
