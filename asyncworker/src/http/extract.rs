//! Extractors whose rejections are JSON, and asyncworker's `State<T>` and `App` as axum
//! extractors.

use std::convert::Infallible;
use std::ops::{Deref, DerefMut};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::app::{App, State};

/// An HTTP error answered with a JSON body: `{"error": "<message>", "status": <code>}`.
///
/// The rejection of this module's [`Json`], [`Path`] and [`Query`], and the body of every
/// error the server produces itself (404, 405, 408, 413, 500). Return it from a handler too:
///
/// ```
/// use asyncworker::http::{HttpError, Json, Path, StatusCode};
///
/// async fn find(Path(id): Path<u64>) -> Result<Json<u64>, HttpError> {
///     if id == 0 {
///         return Err(HttpError::new(StatusCode::NOT_FOUND, "no order 0"));
///     }
///     Ok(Json(id))
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    status: StatusCode,
    message: String,
}

impl HttpError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> HttpError {
        HttpError {
            status,
            message: message.into(),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for HttpError {}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
            status: u16,
        }
        let body = serde_json::to_vec(&Body {
            error: &self.message,
            status: self.status.as_u16(),
        })
        .unwrap_or_default();
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }
}

/// JSON request body (the last argument) or response, like `axum::Json`, but a body that is
/// not JSON is rejected with a JSON error: 400 for malformed JSON, 415 without
/// `Content-Type: application/json`, 422 for JSON of the wrong shape, 413 over the body limit.
///
/// ```
/// use asyncworker::http::Json;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize)]
/// struct Order { id: u64 }
///
/// async fn echo(Json(order): Json<Order>) -> Json<Order> {
///     Json(order)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(e) => Err(HttpError::new(e.status(), e.body_text())),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters (`/users/{id}`), like `axum::extract::Path`, rejected with a JSON error
/// (400) when they do not parse into `T`.
///
/// ```
/// use asyncworker::http::Path;
///
/// async fn user(Path((team, id)): Path<(String, u64)>) -> String {
///     format!("{team}/{id}")
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

/// The query string (`?limit=10`), like `axum::extract::Query`, rejected with a JSON error
/// (400) when it does not parse into `T`.
///
/// ```
/// use asyncworker::http::Query;
///
/// #[derive(serde::Deserialize)]
/// struct Page { limit: Option<u32> }
///
/// async fn list(Query(page): Query<Page>) -> String {
///     format!("{:?}", page.limit)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

/// Our `$t` extracts with axum's `$t` and answers its rejection as an [`HttpError`]; `T` is
/// bound by the listed traits.
macro_rules! head_extractor {
    ($($t:ident: $bound:path $(, $more:path)*;)*) => {$(
        impl<T, S> FromRequestParts<S> for $t<T>
        where
            T: $bound $(+ $more)*,
            S: Send + Sync,
        {
            type Rejection = HttpError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                match axum::extract::$t::<T>::from_request_parts(parts, state).await {
                    Ok(axum::extract::$t(value)) => Ok($t(value)),
                    Err(e) => Err(HttpError::new(e.status(), e.body_text())),
                }
            }
        }
    )*};
}
head_extractor! {
    // The bounds are axum's own: its `Path` needs `Send`, its `Query` does not.
    Path: DeserializeOwned, Send;
    Query: DeserializeOwned;
}

macro_rules! deref {
    ($($t:ident),*) => {$(
        impl<T> Deref for $t<T> {
            type Target = T;
            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> DerefMut for $t<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }
    )*};
}
deref!(Json, Path, Query);

impl FromRequestParts<App> for App {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(app.clone())
    }
}

impl<T: Send + Sync + 'static> FromRequestParts<App> for State<T> {
    type Rejection = HttpError;

    async fn from_request_parts(_parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        // Checked at startup for the handler's own arguments; only a nested use can miss.
        app.try_state::<T>()
            .map_err(|e| HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    }
}
