//! The in-process router answers as the served one: routes registered by hand (as
//! `#[route(http = ...)]` would), called through [`TestHttp`].

use std::time::Duration;

use axum::http::{Request, StatusCode};
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::http::{Body, HttpRouteDef, Json, Path, exports::http_factory};
use crate::registry::Filter;
use crate::settings::Settings;
use crate::testing::TestHttp;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct User {
    id: u64,
    name: String,
}

async fn get_user(Path(id): Path<u64>) -> Json<User> {
    Json(User {
        id,
        name: format!("user {id}"),
    })
}

async fn save_user(Json(user): Json<User>) -> (StatusCode, Json<User>) {
    (StatusCode::CREATED, Json(user))
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    "late"
}

async fn boom() -> &'static str {
    panic!("boom")
}

/// A route of this module, as the macro registers one.
macro_rules! route {
    ($name:literal, $paths:expr, $methods:expr, $handler:ident) => {
        inventory::submit!(HttpRouteDef {
            name: $name,
            module_path: module_path!(),
            file: file!(),
            line: line!(),
            doc: "",
            paths: $paths,
            methods: $methods,
            layers: None,
            factory: || http_factory($handler),
            required_state: |_| {},
            describe: |_| {},
        });
    };
}
route!("get_user", &["/users/{id}"], &["GET"], get_user);
route!("save_user", &["/users"], &["POST", "PUT"], save_user);
route!("slow", &["/slow"], &["GET"], slow);
route!("boom", &["/boom"], &["GET"], boom);

/// The routes of this module, in process, on `app`.
fn http(app: &App) -> TestHttp {
    let filter = Filter::module(Some(module_path!()));
    let router = crate::http::in_process(&filter, app)
        .expect("the routes are fine")
        .expect("there are routes");
    TestHttp::new(router)
}

fn app_with(settings: impl FnOnce(&mut Settings)) -> App {
    let mut s = Settings::default();
    settings(&mut s);
    App::new(s)
}

#[tokio::test]
async fn path_parameters_and_json_bodies_reach_the_handlers() {
    let http = http(&App::for_tests());
    let r = http.get("/users/7").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.json::<User>(),
        User {
            id: 7,
            name: "user 7".into()
        }
    );
    let user = User {
        id: 1,
        name: "ada".into(),
    };
    let r = http.post_json("/users", &user).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.json::<User>(), user);
    let r = http.put_json("/users", &user).await;
    assert_eq!(r.status, StatusCode::CREATED);
}

#[tokio::test]
async fn extractor_rejections_are_json() {
    let http = http(&App::for_tests());
    let r = http
        .post_json("/users", &serde_json::json!({"id": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json::<serde_json::Value>()["status"], 422, "{}", r.text());
    let r = http.get("/users/not-a-number").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<serde_json::Value>()["status"], 400);
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json_404_and_405() {
    let http = http(&App::for_tests());
    let r = http.get("/nowhere").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.json::<serde_json::Value>()["error"],
        "no route for GET /nowhere"
    );
    let r = http.delete("/users/7").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("GET,HEAD"));
    assert_eq!(r.json::<serde_json::Value>()["status"], 405);
}

#[tokio::test]
async fn a_panicking_handler_is_a_json_500() {
    let r = http(&App::for_tests()).get("/boom").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.json::<serde_json::Value>()["status"], 500);
}

#[tokio::test]
async fn built_in_endpoints_answer_in_process() {
    let app = App::for_tests();
    let http = http(&app);
    assert_eq!(http.get("/health/live").await.status, StatusCode::OK);
    let r = http.get("/health/ready").await;
    assert_eq!(
        r.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "startup not done"
    );
    assert_eq!(r.json::<serde_json::Value>()["not_ready"][0], "startup");
    app.health().set_started(true);
    let r = http.get("/health/ready").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    http.get("/users/3").await;
    let r = http.get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    let counted =
        r#"asyncworker_http_requests_total{route="/users/{id}",method="GET",status="200"} 1"#;
    assert!(r.text().contains(counted), "{}", r.text());
}

#[tokio::test]
async fn the_guard_limits_bodies() {
    let app = app_with(|s| s.http_body_limit = 64);
    let big = User {
        id: 1,
        name: "x".repeat(100),
    };
    let r = http(&app).post_json("/users", &big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without a Content-Length the limit is found while reading.
    let request = Request::post("/users")
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&big).unwrap()))
        .unwrap();
    let r = http(&app).request(request).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
}

#[tokio::test(start_paused = true)]
async fn the_guard_times_requests_out() {
    let app = app_with(|s| s.http_request_timeout = Duration::from_secs(2));
    let r = http(&app).get("/slow").await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
}

#[test]
fn nothing_to_serve_is_none() {
    let app = app_with(|s| s.http_enabled = false);
    let filter = Filter::module(Some("no::such::module"));
    assert!(crate::http::in_process(&filter, &app).unwrap().is_none());
}
