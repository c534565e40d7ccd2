//! The database's life in the worker: the pool a startup hook opens (after running the
//! migrations), the readiness check on it, and the shutdown hook that closes it.

use std::time::Duration;

use asyncworker::prelude::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// The machine's PostgreSQL, database `test`, when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// Where the database is and how many connections the pool may open.
///
/// The startup hook reads it from the environment (`DATABASE_URL`,
/// `DATABASE_MAX_CONNECTIONS`) unless a `DbConfig` is already in the state, as a test puts
/// one with `TestWorker::builder().state(DbConfig::new(url))`.
///
/// ```
/// use students::db::DbConfig;
///
/// let config = DbConfig::new("postgres://postgres@127.0.0.1:5432/test");
/// assert_eq!(config.max_connections, 10);
/// ```
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// A `postgres://` URL (`?sslmode=require` for TLS).
    pub url: String,
    /// The pool's bound (default 10).
    pub max_connections: u32,
}

/// A setting that does not parse, named with its value (the password masked).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `DATABASE_URL` does not parse.
    #[error("DATABASE_URL={url:?} is not a PostgreSQL URL: {error}")]
    Url {
        /// The URL, its password masked.
        url: String,
        /// What sqlx found wrong.
        error: sqlx::Error,
    },
    /// `DATABASE_MAX_CONNECTIONS` is not a number from 1 to 1000.
    #[error("DATABASE_MAX_CONNECTIONS={0:?} is not a number from 1 to 1000")]
    MaxConnections(String),
}

/// Why the database part of startup failed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database did not answer.
    #[error("cannot connect to PostgreSQL at {url}: {error}")]
    Connect {
        /// The URL, its password masked.
        url: String,
        /// sqlx's error.
        error: sqlx::Error,
    },
    /// A migration failed (or the database has one this binary does not know).
    #[error("the migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The pool could not be put in the state.
    #[error(transparent)]
    State(#[from] asyncworker::StateError),
}

impl DbConfig {
    /// A configuration for `url` with the default pool size.
    pub fn new(url: impl Into<String>) -> DbConfig {
        DbConfig {
            url: url.into(),
            max_connections: 10,
        }
    }

    /// From `DATABASE_URL` and `DATABASE_MAX_CONNECTIONS`, with their defaults.
    pub fn from_env() -> Result<DbConfig, ConfigError> {
        let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into());
        let mut config = DbConfig::new(url);
        if let Ok(value) = std::env::var("DATABASE_MAX_CONNECTIONS") {
            config.max_connections = value
                .parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or(ConfigError::MaxConnections(value))?;
        }
        Ok(config)
    }

    /// The URL with its password replaced by `***`, for errors and logs.
    pub fn masked_url(&self) -> String {
        mask_password(&self.url)
    }

    fn options(&self) -> Result<PgConnectOptions, ConfigError> {
        let refuse = |error| ConfigError::Url {
            url: self.masked_url(),
            error,
        };
        // sqlx reads any scheme as PostgreSQL's; another database's URL is a mistake.
        if !["postgres://", "postgresql://"]
            .iter()
            .any(|scheme| self.url.starts_with(scheme))
        {
            return Err(refuse(sqlx::Error::Configuration(
                "the scheme must be postgres:// or postgresql://".into(),
            )));
        }
        self.url.parse().map_err(refuse)
    }
}

fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.into();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.into();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.into(),
    }
}

/// Opens the pool (failing startup if the database does not answer: a worker that cannot
/// store anything should not report ready), runs the migrations, registers the readiness
/// check and puts the pool in the state.
///
/// Runs first (order -10), so later hooks may use the pool. A `--check` verifies the
/// connection and changes nothing: the migrations run only on a real start. Replicas starting
/// together are safe: sqlx takes an advisory lock around the migrations.
#[on_startup(order = -10)]
async fn open_pool(app: &App) -> Result<(), StartError> {
    let config = match app.try_state::<DbConfig>() {
        Ok(config) => DbConfig::clone(&config),
        Err(_) => DbConfig::from_env()?,
    };
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections)
        // A request or a bulk waits at most this long for a connection: past it, the API
        // answers 503 and the bulk is retried, rather than both hanging on a dead database.
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(config.options()?)
        .await
        .map_err(|error| StartError::Connect {
            url: config.masked_url(),
            error,
        })?;
    if !app.is_check() {
        MIGRATOR.run(&pool).await?;
    }
    app.health().check("postgres", {
        let pool = pool.clone();
        move || ping(pool.clone())
    });
    app.insert(pool)?;
    Ok(())
}

/// The readiness check: the pool hands out a connection that answers.
async fn ping(pool: PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1").execute(&pool).await.map(drop)
}

/// Closes the pool once the routes have stopped: in-flight queries finish, idle connections
/// are closed, and PostgreSQL sees a clean goodbye.
#[on_shutdown]
async fn close_pool(app: &App) {
    if let Ok(pool) = app.try_state::<PgPool>() {
        pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_masked() {
        assert_eq!(
            mask_password("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            mask_password("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }

    #[test]
    fn a_bad_url_is_named_with_its_value() {
        let error = DbConfig::new("mysql://root:pw@h/x").options().unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("DATABASE_URL=\"mysql://root:***@h/x\""),
            "{text}"
        );
        assert!(text.contains("postgres://"), "{text}");
        let error = DbConfig::new("postgres://u:pw@h:port/x")
            .options()
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("DATABASE_URL=\"postgres://u:***@h:port/x\""),
            "{text}"
        );
    }
}
