//! Every query of the service, in one place: the routes say what to do, this says how it is
//! stored.

use sqlx::postgres::PgPool;
use sqlx::{Connection, Postgres, Transaction};

use crate::model::{Student, ValidStudent};

const COLUMNS: &str = "id, name, email, active, created_at, updated_at";

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another student has this email (the API's 409).
    #[error("email: already taken")]
    EmailTaken,
    /// The database refused the values themselves (an SQLSTATE of class 22 or 23: a NUL byte
    /// in a text, a check constraint). Trying again cannot help.
    #[error("the database refused the values: {0}")]
    Refused(String),
    /// The database did not answer or failed: trying again later may work.
    #[error(transparent)]
    Unavailable(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> StoreError {
        let Some(db) = error.as_database_error() else {
            return StoreError::Unavailable(error);
        };
        match db.code().as_deref() {
            Some("23505") => StoreError::EmailTaken,
            Some(code) if code.starts_with("22") || code.starts_with("23") => {
                StoreError::Refused(db.message().to_owned())
            }
            _ => StoreError::Unavailable(error),
        }
    }
}

/// Inserts one student.
pub async fn create(pool: &PgPool, new: &ValidStudent) -> Result<Student, StoreError> {
    let sql = format!("INSERT INTO students (name, email) VALUES ($1, $2) RETURNING {COLUMNS}");
    Ok(sqlx::query_as(&sql)
        .bind(new.name())
        .bind(new.email())
        .fetch_one(pool)
        .await?)
}

/// One student, active or not.
pub async fn get(pool: &PgPool, id: i64) -> Result<Option<Student>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM students WHERE id = $1");
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?)
}

/// At most `limit` active students with ids above `after`, by id.
pub async fn list_active(
    pool: &PgPool,
    after: i64,
    limit: i64,
) -> Result<Vec<Student>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM students WHERE active AND id > $1 ORDER BY id LIMIT $2");
    Ok(sqlx::query_as(&sql)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?)
}

/// Replaces a student's name and email; `None` when there is no such student.
pub async fn update(
    pool: &PgPool,
    id: i64,
    new: &ValidStudent,
) -> Result<Option<Student>, StoreError> {
    let sql = format!(
        "UPDATE students SET name = $2, email = $3, updated_at = now() WHERE id = $1 \
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(&sql)
        .bind(id)
        .bind(new.name())
        .bind(new.email())
        .fetch_optional(pool)
        .await?)
}

/// Marks a student inactive (idempotent); `None` when there is no such student.
pub async fn deactivate(pool: &PgPool, id: i64) -> Result<Option<Student>, StoreError> {
    let sql = format!(
        "UPDATE students SET active = false, updated_at = CASE WHEN active THEN now() \
         ELSE updated_at END WHERE id = $1 RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?)
}

/// Deletes a student; whether there was one.
pub async fn delete(pool: &PgPool, id: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM students WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What became of each student of a bulk, in the bulk's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkOutcome {
    /// Inserted now.
    Inserted,
    /// A student with this email exists already: a redelivered message, or a repeat. Nothing
    /// was written.
    Existed,
    /// The database refused this row; the others are committed.
    Refused(String),
}

/// Inserts a bulk in one transaction: one statement for the whole bulk, and only if the
/// database refuses it, one savepoint per row to find the rows at fault, so that they alone
/// are left out. An error ([`StoreError::Unavailable`]) means nothing was committed.
pub async fn insert_bulk(
    pool: &PgPool,
    students: &[ValidStudent],
) -> Result<Vec<BulkOutcome>, StoreError> {
    let mut tx = pool.begin().await?;
    let outcomes = match insert_all(&mut tx, students).await {
        Ok(mut inserted) => students
            .iter()
            .map(|s| match inserted.iter().position(|e| e == s.email()) {
                Some(at) => {
                    inserted.swap_remove(at);
                    BulkOutcome::Inserted
                }
                None => BulkOutcome::Existed,
            })
            .collect(),
        Err(StoreError::Refused(_)) => insert_one_by_one(&mut tx, students).await?,
        Err(other) => return Err(other),
    };
    tx.commit().await?;
    Ok(outcomes)
}

/// The whole bulk in one statement, inside a savepoint so that a refusal leaves the
/// transaction usable; the emails inserted (a repeated email, in the bulk or in the table, is
/// inserted once).
async fn insert_all(
    tx: &mut Transaction<'static, Postgres>,
    students: &[ValidStudent],
) -> Result<Vec<String>, StoreError> {
    let names: Vec<&str> = students.iter().map(ValidStudent::name).collect();
    let emails: Vec<&str> = students.iter().map(ValidStudent::email).collect();
    let mut savepoint = tx.begin().await?;
    let inserted = sqlx::query_scalar(
        "INSERT INTO students (name, email) SELECT * FROM UNNEST($1::text[], $2::text[]) \
         ON CONFLICT (email) DO NOTHING RETURNING email",
    )
    .bind(&names)
    .bind(&emails)
    .fetch_all(&mut *savepoint)
    .await?;
    savepoint.commit().await?;
    Ok(inserted)
}

/// Each row in its own savepoint: the refused ones roll back alone.
async fn insert_one_by_one(
    tx: &mut Transaction<'static, Postgres>,
    students: &[ValidStudent],
) -> Result<Vec<BulkOutcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(students.len());
    for student in students {
        let mut savepoint = tx.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO students (name, email) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING",
        )
        .bind(student.name())
        .bind(student.email())
        .execute(&mut *savepoint)
        .await;
        let outcome = match inserted.map_err(StoreError::from) {
            Ok(done) if done.rows_affected() == 1 => BulkOutcome::Inserted,
            Ok(_) => BulkOutcome::Existed,
            Err(StoreError::Refused(why)) => {
                savepoint.rollback().await?;
                outcomes.push(BulkOutcome::Refused(why));
                continue;
            }
            Err(other) => return Err(other),
        };
        savepoint.commit().await?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The `tidy_names` job: trims the names of active students, collapses their inner spaces
/// and capitalises each word (PostgreSQL's `initcap`); the number of students renamed.
pub async fn tidy_names(pool: &PgPool) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE students SET name = tidy, updated_at = now() \
         FROM (SELECT id AS tidy_id, initcap(regexp_replace(btrim(name), '\\s+', ' ', 'g')) AS tidy \
               FROM students WHERE active) AS t \
         WHERE id = tidy_id AND name <> tidy",
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Counts of active and inactive students.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Counts {
    /// Students listed by the API.
    pub active: i64,
    /// Deactivated students.
    pub inactive: i64,
}

/// The `report` job: counts the students and stores the counts under the run's key, once
/// (a repeated run of the same tick changes nothing); the counts stored for that key.
pub async fn report(pool: &PgPool, run_key: &str) -> Result<Counts, StoreError> {
    let counts: Counts = sqlx::query_as(
        "INSERT INTO student_reports (run_key, active, inactive) \
         SELECT $1, count(*) FILTER (WHERE active), count(*) FILTER (WHERE NOT active) \
         FROM students \
         ON CONFLICT (run_key) DO UPDATE SET run_key = EXCLUDED.run_key \
         RETURNING active, inactive",
    )
    .bind(run_key)
    .fetch_one(pool)
    .await?;
    Ok(counts)
}
