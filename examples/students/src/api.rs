//! The JSON API over students, documented in `/openapi.json` and at `/docs`.
//!
//! Every error is asyncworker's JSON error body, `{"error": "...", "status": N}`: 422 naming
//! the field for input the checks refuse (and, from the extractor, for a missing field or a
//! wrong type), 404 for an unknown id, 409 for an email another student has, 503 when the
//! database does not answer.

use asyncworker::http::{HttpError, Json, Path, Query, StatusCode};
use asyncworker::prelude::*;
use sqlx::PgPool;

use crate::model::{NewStudent, PageQuery, Student, StudentPage};
use crate::store::{self, StoreError};

/// Creates a student; 201 with the stored student.
#[route(http = ["/students"], methods = ["POST"])]
pub async fn create_student(
    pool: State<PgPool>,
    Json(new): Json<NewStudent>,
) -> Result<(StatusCode, Json<Student>), HttpError> {
    let valid = new.validate().map_err(unprocessable)?;
    let student = store::create(&pool, &valid).await.map_err(answer)?;
    Ok((StatusCode::CREATED, Json(student)))
}

/// One student, active or not.
#[route(http = ["/students/{id}"])]
pub async fn get_student(
    pool: State<PgPool>,
    Path(id): Path<i64>,
) -> Result<Json<Student>, HttpError> {
    found(id, store::get(&pool, id).await)
}

/// The active students, by id, a page at a time (`limit` 1 to 100, default 50; `after` the
/// previous page's `next_after`).
#[route(http = ["/students"])]
pub async fn list_students(
    pool: State<PgPool>,
    Query(page): Query<PageQuery>,
) -> Result<Json<StudentPage>, HttpError> {
    let limit = page.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(HttpError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "limit: must be from 1 to 100",
        ));
    }
    let students = store::list_active(&pool, page.after.unwrap_or(0), i64::from(limit))
        .await
        .map_err(answer)?;
    // A full page may have a next one; a short page is the last.
    let next_after = match students.len() == usize::from(limit) {
        true => students.last().map(|s| s.id),
        false => None,
    };
    Ok(Json(StudentPage {
        students,
        next_after,
    }))
}

/// Replaces a student's name and email.
#[route(http = ["/students/{id}"], methods = ["PUT"])]
pub async fn update_student(
    pool: State<PgPool>,
    Path(id): Path<i64>,
    Json(new): Json<NewStudent>,
) -> Result<Json<Student>, HttpError> {
    let valid = new.validate().map_err(unprocessable)?;
    found(id, store::update(&pool, id, &valid).await)
}

/// Deactivates a student: kept, no longer listed. Deactivating twice is not an error.
#[route(http = ["/students/{id}/deactivate"], methods = ["POST"])]
pub async fn deactivate_student(
    pool: State<PgPool>,
    Path(id): Path<i64>,
) -> Result<Json<Student>, HttpError> {
    found(id, store::deactivate(&pool, id).await)
}

/// Deletes a student; 204.
#[route(http = ["/students/{id}"], methods = ["DELETE"])]
pub async fn delete_student(
    pool: State<PgPool>,
    Path(id): Path<i64>,
) -> Result<StatusCode, HttpError> {
    match store::delete(&pool, id).await.map_err(answer)? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(not_found(id)),
    }
}

/// The student, a 404 naming the id, or the store's error as an answer.
fn found(id: i64, result: Result<Option<Student>, StoreError>) -> Result<Json<Student>, HttpError> {
    result
        .map_err(answer)?
        .map(Json)
        .ok_or_else(|| not_found(id))
}

fn not_found(id: i64) -> HttpError {
    HttpError::new(StatusCode::NOT_FOUND, format!("no student {id}"))
}

fn unprocessable(invalid: crate::model::Invalid) -> HttpError {
    HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, invalid.to_string())
}

/// A store error as the client should see it: the database's own words stay in the log.
fn answer(error: StoreError) -> HttpError {
    match error {
        StoreError::EmailTaken => HttpError::new(StatusCode::CONFLICT, error.to_string()),
        StoreError::Refused(why) => {
            tracing::info!(%why, "the database refused a request's values");
            HttpError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the values were refused by the database",
            )
        }
        StoreError::Unavailable(error) => {
            tracing::error!(%error, "database error");
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable",
            )
        }
    }
}
