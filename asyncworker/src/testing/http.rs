//! HTTP requests sent in process to the router a worker would serve: the same routes,
//! built-in endpoints, guards (body limit, timeout, panics) and JSON errors, with no socket.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt as _;

use super::worker::TestWorker;

impl TestWorker {
    /// The worker's HTTP routes and built-in endpoints (`/health/ready`, `/metrics`, ...),
    /// called in process: no socket is opened.
    ///
    /// # Panics
    /// If the worker serves no HTTP at all: no HTTP route under the test's module and the
    /// built-in endpoints disabled (`ASYNCWORKER_HTTP_ENABLED=false`).
    ///
    /// ```
    /// use asyncworker::http::{Json, Path, StatusCode};
    /// use asyncworker::prelude::*;
    /// use asyncworker::testing::TestWorker;
    ///
    /// #[route(http = ["/users/{id}"])]
    /// async fn user(Path(id): Path<u64>) -> Json<serde_json::Value> {
    ///     Json(serde_json::json!({ "id": id }))
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let w = TestWorker::builder().only_module(module_path!()).start().await.unwrap();
    /// let r = w.http().get("/users/7").await;
    /// assert_eq!(r.status, StatusCode::OK);
    /// assert_eq!(r.json::<serde_json::Value>()["id"], 7);
    /// assert_eq!(w.http().get("/users/x").await.status, StatusCode::BAD_REQUEST);
    /// assert_eq!(w.http().get("/health/ready").await.status, StatusCode::OK);
    /// w.stop().await;
    /// # }
    /// ```
    pub fn http(&self) -> &TestHttp {
        self.parts.http.as_ref().unwrap_or_else(|| {
            panic!(
                "this test worker serves no HTTP: it has no HTTP route and the built-in \
                 endpoints are off (ASYNCWORKER_HTTP_ENABLED=false)"
            )
        })
    }
}

/// Sends requests to a worker's HTTP routes in process, through its axum router as a tower
/// service. Cheap to clone.
///
/// A test gets one from [`TestWorker::http`]. The routes answer exactly as when served (path
/// parameters, extractor rejections, the JSON 404 and 405, `/health/ready`, `/metrics`); only
/// what the accept loop does with a connection (the header read timeout, the connection cap)
/// has nothing to act on.
#[derive(Clone)]
pub struct TestHttp {
    router: Router,
}

impl std::fmt::Debug for TestHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestHttp").finish_non_exhaustive()
    }
}

impl TestHttp {
    /// Requests go to `router`: the one [`crate::http::in_process`] builds.
    pub(crate) fn new(router: Router) -> TestHttp {
        TestHttp { router }
    }

    /// `GET path` (`path` may carry a query: `/users?limit=2`).
    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Method::GET, path, None).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(Method::DELETE, path, None).await
    }

    /// `POST path` with `body` as JSON.
    ///
    /// # Panics
    /// If `body` cannot be serialized.
    pub async fn post_json(&self, path: &str, body: &impl Serialize) -> TestResponse {
        self.send(Method::POST, path, Some(json(body))).await
    }

    /// `PUT path` with `body` as JSON.
    ///
    /// # Panics
    /// If `body` cannot be serialized.
    pub async fn put_json(&self, path: &str, body: &impl Serialize) -> TestResponse {
        self.send(Method::PUT, path, Some(json(body))).await
    }

    /// Any request: other methods, headers, bodies that are not JSON.
    ///
    /// # Panics
    /// If the response body fails while it is read (a streaming body that errors).
    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_else(|e| panic!("the response body failed while it was read: {e}"));
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// A request with a JSON body or none; a body gets the headers an HTTP client would send
    /// with it, so the body limit answers as it would to a client (413 before reading).
    async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> TestResponse {
        let builder = Request::builder().method(method).uri(path);
        let request = match body {
            None => builder.body(Body::empty()),
            Some(bytes) => builder
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, bytes.len())
                .body(Body::from(bytes)),
        };
        let request = request.unwrap_or_else(|e| panic!("bad request for {path:?}: {e}"));
        self.request(request).await
    }
}

/// `body` as JSON, or a panic saying why not.
fn json(body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|e| panic!("the request body is not JSON: {e}"))
}

/// What a route answered, read to the end.
#[derive(Debug, Clone)]
pub struct TestResponse {
    /// The status code.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl TestResponse {
    /// The body decoded from JSON.
    ///
    /// # Panics
    /// If it does not decode into `T`, with the status and the body text in the message: it
    /// is a test helper.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the response body is not the JSON expected ({e}); status {}, body: {}",
                self.status,
                self.text()
            )
        })
    }

    /// The body as text (invalid UTF-8 replaced by U+FFFD).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of header `name`, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    }
}
