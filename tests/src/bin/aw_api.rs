//! An HTTP API for the OpenAPI tests (`tests/openapi.rs`): path, query and JSON routes, typed
//! and untyped bodies and answers, handler errors, doc comments; served with its OpenAPI
//! document and docs page.

use asyncworker::http::{Html, HttpError, Json, Path, Query, StatusCode};
use asyncworker::prelude::*;
use asyncworker::schema::JsonSchema;
use serde::{Deserialize, Serialize};

/// A user of the shop.
#[derive(Serialize, JsonSchema)]
#[schemars(crate = "asyncworker::schema::schemars")]
struct User {
    id: u64,
    name: String,
    age: u8,
}

/// A user to create.
#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "asyncworker::schema::schemars")]
struct NewUser {
    /// Their name, as they write it.
    name: String,
    age: u8,
}

/// Which users to list.
#[derive(Deserialize, JsonSchema)]
#[schemars(crate = "asyncworker::schema::schemars")]
struct Paging {
    /// At most this many.
    limit: Option<u32>,
    /// Only names starting with this.
    prefix: Option<String>,
}

/// A note without a schema: free-form in the document.
#[derive(Deserialize)]
struct Note {
    #[allow(dead_code)]
    text: String,
}

/// Finds a user.
///
/// User 0 does not exist.
#[route(http = ["/users/{id}"])]
async fn get_user(Path(id): Path<u64>) -> Result<Json<User>, HttpError> {
    if id == 0 {
        return Err(HttpError::new(StatusCode::NOT_FOUND, "no user 0"));
    }
    Ok(Json(User {
        id,
        name: format!("user {id}"),
        age: 30,
    }))
}

/// Lists users.
#[route(http = ["/users"])]
async fn list_users(Query(paging): Query<Paging>) -> Json<Vec<User>> {
    let prefix = paging.prefix.unwrap_or_default();
    let users = (1..=paging.limit.unwrap_or(3).min(5))
        .map(|id| User {
            id: id.into(),
            name: format!("{prefix}{id}"),
            age: 20,
        })
        .collect();
    Json(users)
}

/// Creates a user.
#[route(http = ["/users"], methods = ["POST"])]
async fn create_user(Json(new): Json<NewUser>) -> (StatusCode, Json<User>) {
    let user = User {
        id: 7,
        name: new.name,
        age: new.age,
    };
    (StatusCode::CREATED, Json(user))
}

/// A member of a team, by position.
#[route(http = ["/teams/{team}/members/{index}"])]
async fn member(Path((team, index)): Path<(String, u32)>) -> String {
    format!("{team}#{index}")
}

/// Replaces a note.
#[route(http = ["/notes/{id}"], methods = ["PUT"])]
async fn put_note(Path(_id): Path<u64>, Json(_note): Json<Note>) -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The home page.
#[route(http = ["/"])]
async fn home() -> Html<&'static str> {
    Html("<h1>shop</h1>")
}

asyncworker::main!();
