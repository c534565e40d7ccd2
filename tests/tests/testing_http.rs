//! `TestWorker::http()`: the worker's HTTP routes called in process, with no socket: path
//! parameters, extractor rejections, the JSON 404 and 405, state from startup hooks and the
//! built-in endpoints answer as when served.

use asyncworker::http::{Body, Json, Path, StatusCode};
use asyncworker::prelude::*;
use asyncworker::testing::TestWorker;
use serde::{Deserialize, Serialize};

mod users {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    pub struct User {
        pub id: u64,
        pub name: String,
    }

    /// What a startup hook inserts: the routes read it as state.
    pub struct Greeting(pub &'static str);

    #[route(http = ["/users/{id}"])]
    async fn get_user(greeting: State<Greeting>, Path(id): Path<u64>) -> Json<User> {
        Json(User {
            id,
            name: format!("{} {id}", greeting.0),
        })
    }

    #[route(http = ["/users"], methods = ["POST", "PUT"])]
    async fn save_user(Json(user): Json<User>) -> (StatusCode, Json<User>) {
        (StatusCode::CREATED, Json(user))
    }

    #[route(http = ["/users/{id}"], methods = ["DELETE"])]
    async fn delete_user(Path(id): Path<u64>) -> StatusCode {
        if id == 0 {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::NO_CONTENT
        }
    }

    #[on_startup]
    async fn init(app: &App) -> Result<(), asyncworker::StateError> {
        app.insert(Greeting("user"))
    }
}

use users::User;

async fn worker() -> TestWorker {
    TestWorker::builder()
        .only_module(&format!("{}::users", module_path!()))
        .start()
        .await
        .expect("the worker starts")
}

#[tokio::test]
async fn path_parameters_and_state_reach_the_handler() {
    let w = worker().await;
    let r = w.http().get("/users/7").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json::<User>(),
        User {
            id: 7,
            name: "user 7".into()
        }
    );
    assert_eq!(
        w.http().delete("/users/7").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        w.http().delete("/users/0").await.status,
        StatusCode::NOT_FOUND
    );
    w.stop().await;
}

#[tokio::test]
async fn json_bodies_in_and_out() {
    let w = worker().await;
    let ada = User {
        id: 1,
        name: "ada".into(),
    };
    let r = w.http().post_json("/users", &ada).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json::<User>(), ada);
    let r = w.http().put_json("/users", &ada).await;
    assert_eq!(r.status, StatusCode::CREATED);
    w.stop().await;
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_a_json_422() {
    let w = worker().await;
    let r = w
        .http()
        .post_json("/users", &serde_json::json!({"id": "seven"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json();
    assert_eq!(body["status"], 422);
    assert!(body["error"].as_str().unwrap().contains("id"), "{body}");
    // Not JSON at all, through `request`: a 400; without the content type: a 415.
    let bad = asyncworker::http::axum::http::Request::post("/users")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    assert_eq!(w.http().request(bad).await.status, StatusCode::BAD_REQUEST);
    let untyped = asyncworker::http::axum::http::Request::post("/users")
        .body(Body::from("{}"))
        .unwrap();
    let r = w.http().request(untyped).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.text());
    w.stop().await;
}

#[tokio::test]
async fn unknown_paths_and_methods_are_json_404_and_405() {
    let w = worker().await;
    let r = w.http().get("/nowhere").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json::<serde_json::Value>()["status"], 404);
    let r = w.http().delete("/users").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let mut allowed: Vec<&str> = r.header("allow").unwrap().split(',').collect();
    allowed.sort_unstable();
    assert_eq!(allowed, ["POST", "PUT"]);
    assert_eq!(r.json::<serde_json::Value>()["status"], 405);
    w.stop().await;
}

#[tokio::test]
async fn health_and_metrics_answer_in_process() {
    let w = worker().await;
    assert_eq!(w.http().get("/health/live").await.status, StatusCode::OK);
    let r = w.http().get("/health/ready").await;
    assert_eq!(r.status, StatusCode::OK, "started: {}", r.text());
    assert_eq!(r.json::<serde_json::Value>()["status"], "ready");
    w.http().get("/users/1").await;
    let r = w.http().get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    let counted =
        r#"asyncworker_http_requests_total{route="/users/{id}",method="GET",status="200"} 1"#;
    assert!(r.text().contains(counted), "{}", r.text());
    w.stop().await;
}

/// Consumers on the in-memory transports: attached as soon as the worker has started.
mod consumers {
    use super::*;

    #[route(amqp = ["testing_http.orders"])]
    async fn orders(_m: Message<serde_json::Value>) {}

    #[route(sse = ["/v2/events"], url = "http://127.0.0.1:9")]
    async fn events(_e: Vec<Event<serde_json::Value>>) {}
}

#[tokio::test]
async fn ready_as_soon_as_started_with_amqp_and_sse_routes() {
    let w = TestWorker::builder()
        .only_module(&format!("{}::consumers", module_path!()))
        .start()
        .await
        .expect("the worker starts");
    let r = w.http().get("/health/ready").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    w.stop().await;
}
