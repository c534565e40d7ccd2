//! What both test files need: a database of the test's own on the machine's PostgreSQL,
//! created at the start and dropped at the end (panics included).

#![allow(dead_code)] // each test file uses its part

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection};

/// The server's own database, from which test databases are created and dropped.
const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database no other test (or test run) shares; dropped on drop.
pub struct TestDb {
    pub name: String,
    pub url: String,
    /// The test's own pool, to look at and change rows behind the worker's back.
    pub pool: PgPool,
}

impl TestDb {
    /// Creates `students_<pid>_<n>_<test>`, empty: the worker's migrations fill it.
    pub async fn create(test: &str) -> TestDb {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let name = format!("students_{}_{n}_{test}", std::process::id());
        let mut admin = PgConnection::connect(ADMIN_URL)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL must answer at {ADMIN_URL}: {e}"));
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        let pool = PgPool::connect(&url).await.expect("the test's pool");
        TestDb { name, url, pool }
    }

    /// Runs `sql` on the server's own database (ALTER DATABASE, pg_terminate_backend).
    pub async fn admin(&self, sql: &str) {
        let mut admin = PgConnection::connect(ADMIN_URL).await.expect("admin");
        sqlx::raw_sql(sql)
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The database refuses every connection and drops those it has, as a server that went
    /// away would look to the worker.
    pub async fn go_away(&self) {
        self.admin(&format!(
            "ALTER DATABASE {0} WITH ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{0}'",
            self.name
        ))
        .await;
    }

    /// The database accepts connections again.
    pub async fn come_back(&self) {
        self.admin(&format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS true",
            self.name
        ))
        .await;
    }

    /// How many rows the students table has.
    pub async fn count(&self, filter: &str) -> i64 {
        sqlx::query_scalar(&format!("SELECT count(*) FROM students WHERE {filter}"))
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop cannot await: a thread with its own runtime does the async work, and FORCE
        // ends the connections still open (a killed worker's, the pool's).
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let done = asyncworker_tests::block_on_own_thread(move || async move {
            let mut admin = PgConnection::connect(ADMIN_URL).await?;
            sqlx::raw_sql(&sql).execute(&mut admin).await.map(drop)
        });
        if let Some(Err(e)) = done {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}
