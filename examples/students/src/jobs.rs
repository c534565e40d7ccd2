//! The scheduled jobs. Both are singletons: however many replicas run the schedules, one of
//! them (the holder of the route's lease on the broker) fires each tick.

use asyncworker::prelude::*;
use sqlx::PgPool;

use crate::store::{self, StoreError};

/// Every 10 seconds: tidies the names of the active students (trimmed, single spaces, each
/// word capitalised). Running it twice changes nothing more.
#[route(every = "10s", singleton = true, timeout = "30s")]
pub async fn tidy_names(pool: State<PgPool>) -> Result<(), StoreError> {
    let renamed = store::tidy_names(&pool).await?;
    if renamed > 0 {
        tracing::info!(renamed, "tidied the names of active students");
    }
    Ok(())
}

/// Every hour on the hour: counts the active and inactive students into `student_reports`,
/// keyed by the run's key, so that a tick run twice around a hand-over writes one row.
#[route(cron = "0 * * * *", name = "report", singleton = true, timeout = "1m")]
pub async fn report(pool: State<PgPool>, key: RunKey) -> Result<(), StoreError> {
    let counts = store::report(&pool, key.as_str()).await?;
    tracing::info!(
        run = %key,
        active = counts.active,
        inactive = counts.inactive,
        "student report"
    );
    Ok(())
}
