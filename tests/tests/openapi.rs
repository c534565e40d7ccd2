//! The OpenAPI document and the docs page of a worker process (`aw_api`: path, query and JSON
//! routes): `--openapi` prints what `GET /openapi.json` serves; it validates with
//! `openapi-spec-validator` and says what the routes take and answer; schemathesis, driven by
//! it, finds no 5xx and no answer that contradicts it; `/docs` loads every file from the
//! worker itself. The Python tools come from PyPI (`.ci/run` installs them; never skipped).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use asyncworker_tests::tools::{run_tool, temp_file};
use asyncworker_tests::{Proc, unique_prefix};
use serde_json::Value;

/// `aw_api` serving on a free port, with `env`.
async fn start(env: &[(&str, &str)]) -> (Proc, SocketAddr) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aw_api"));
    cmd.env("ASYNCWORKER_HTTP_PORT", "0")
        .env("ASYNCWORKER_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let proc = Proc::spawn(cmd);
    let addr = proc.http_addr(Duration::from_secs(20)).await;
    (proc, addr)
}

/// `aw_api ARGS` with `env`, run to its end: exit code, stdout, stderr.
fn aw_api(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_aw_api"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("aw_api runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `GET http://addr{path}`: status, content type, body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    let response = reqwest::get(format!("http://{addr}{path}"))
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    let body = response.bytes().await.expect("a body").to_vec();
    (status, content_type, body)
}

/// A Python tool from PyPI (`python3 -m ARGS`), bounded in time: its exit code and output.
fn python(args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = Command::new("python3");
    // In the temp dir: schemathesis keeps a cache of what it found in its working directory.
    cmd.arg("-m").args(args).current_dir(std::env::temp_dir());
    run_tool(300, cmd, "install python3 and the tools (.ci/run does)")
}

fn validate(file: &Path) -> (Option<i32>, String) {
    python(&["openapi_spec_validator", file.to_str().unwrap()])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_printed_one_and_validates() {
    let (code, printed, stderr) = aw_api(&["--openapi"], &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let printed: Value = serde_json::from_str(&printed).expect("--openapi prints JSON");
    let (_proc, addr) = start(&[]).await;
    let (status, content_type, body) = get(addr, "/openapi.json").await;
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    let served: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(printed, served, "--openapi and GET /openapi.json differ");

    let name = format!("{}api.json", unique_prefix("openapi"));
    let file = temp_file(&name, &served.to_string());
    let (code, report) = validate(&file);
    let _ = std::fs::remove_file(&file);
    assert_eq!(code, Some(0), "openapi-spec-validator:\n{report}");
    assert_document(&served);
}

/// What the document says of `aw_api`'s routes.
fn assert_document(doc: &Value) {
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "aw_api");
    let op = |path: &str, method: &str| -> &Value {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "no {method} {path} in {doc:#}");
        op
    };
    let statuses = |op: &Value| -> Vec<String> {
        op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };

    // Path parameters typed by `Path<u64>`, summary and description from the doc comment.
    let get_user = op("/users/{id}", "get");
    assert_eq!(get_user["summary"], "Finds a user.");
    assert_eq!(get_user["description"], "User 0 does not exist.");
    let id = &get_user["parameters"][0];
    assert_eq!(
        (id["name"].as_str(), id["in"].as_str()),
        (Some("id"), Some("path"))
    );
    assert_eq!(id["schema"]["type"], "integer");
    assert_eq!(id["schema"]["maximum"], u64::MAX);
    let ok = &get_user["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(ok["$ref"], "#/components/schemas/User");
    // `Result<_, HttpError>`: any other status with the JSON error.
    assert!(get_user["responses"]["default"]["content"]["application/json"].is_object());
    assert!(statuses(get_user).contains(&"400".into()));

    // A tuple `Path<(String, u32)>`: by position.
    let member = op("/teams/{team}/members/{index}", "get");
    assert_eq!(member["parameters"][0]["schema"]["type"], "string");
    assert_eq!(member["parameters"][1]["schema"]["format"], "uint32");
    assert!(member["responses"]["200"]["content"]["text/plain"].is_object());

    // `Query<Paging>`: one optional parameter per field, with its doc comment.
    let list = op("/users", "get");
    let limit = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit");
    let limit = limit.expect("a limit parameter");
    assert_eq!(
        (limit["in"].as_str(), limit["required"].as_bool()),
        (Some("query"), Some(false))
    );
    assert_eq!(limit["description"], "At most this many.");

    // `Json<NewUser>` and `(StatusCode, Json<User>)`: the body, every rejection of it, and an
    // answer whose status the handler picks.
    let create = op("/users", "post");
    let body = &create["requestBody"];
    assert_eq!(body["required"], true);
    assert_eq!(
        body["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NewUser"
    );
    for status in ["400", "408", "413", "415", "422", "500", "default"] {
        assert!(
            statuses(create).contains(&status.into()),
            "{status}: {create:#}"
        );
    }
    assert!(create["responses"].get("200").is_none());
    let error = &create["responses"]["415"]["content"]["application/json"]["schema"]["$ref"];
    let error = error.as_str().unwrap().rsplit('/').next().unwrap();
    assert_eq!(doc["components"]["schemas"][error]["required"][0], "error");

    // A body type without a schema is free-form, named.
    let note = &op("/notes/{id}", "put")["requestBody"]["content"]["application/json"]["schema"];
    assert!(
        note["description"].as_str().unwrap().contains("Note"),
        "{note}"
    );
    assert!(op("/", "get")["responses"]["200"]["content"]["text/html"].is_object());

    // The built-in endpoints.
    for path in [
        "/health/live",
        "/health/ready",
        "/metrics",
        "/openapi.json",
        "/docs",
    ] {
        assert_eq!(op(path, "get")["tags"][0], "built-in", "{path}");
    }
    assert!(op("/health/ready", "get")["responses"]["503"].is_object());
    assert!(doc["paths"].get("/docs/swagger-ui-bundle.js").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_the_document_denies() {
    let (_proc, addr) = start(&[]).await;
    // Every check but `positive_data_acceptance`: serde is stricter than JSON Schema where it
    // should be (`245.0` is an integer to JSON Schema, not to a `u8`; a free-form body may be
    // `null`), and the 422 it answers is in the document.
    let (code, report) = python(&[
        "schemathesis.cli",
        "run",
        &format!("http://{addr}/openapi.json"),
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-examples",
        "50",
        "--seed",
        "1",
        "--request-timeout",
        "10",
        "--no-color",
    ]);
    assert_eq!(code, Some(0), "schemathesis found failures:\n{report}");
    assert!(
        report.contains("10/10"),
        "not every operation was tested:\n{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_docs_page_loads_every_file_from_the_worker() {
    let (_proc, addr) = start(&[]).await;
    let (status, content_type, page) = get(addr, "/docs").await;
    assert_eq!((status, content_type.as_str()), (200, "text/html"));
    let page = String::from_utf8(page).expect("UTF-8");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );
    let files = referenced(&page);
    assert!(files.len() >= 3, "{files:?} in {page}");
    for file in &files {
        assert!(
            file.starts_with('/') && !file.starts_with("//"),
            "{file} is on another host"
        );
        let (status, content_type, body) = get(addr, file).await;
        assert_eq!(status, 200, "{file}");
        assert!(!body.is_empty(), "{file} is empty");
        let expected = match file.rsplit('.').next() {
            Some("js") => "text/javascript",
            Some("css") => "text/css",
            _ => "application/json",
        };
        assert_eq!(content_type, expected, "{file}");
    }
    assert!(files.contains(&"/openapi.json".to_owned()), "{files:?}");
    // A query does not move the files the page names.
    let (_, _, with_query) = get(addr, "/docs?tab=1").await;
    assert_eq!(String::from_utf8(with_query).unwrap(), page);
}

/// What `page` loads: `href` and `src` attributes and the document's `url: '...'`.
fn referenced(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for marker in ["href=\"", "src=\"", "url: '"] {
        let end = if marker.ends_with('\'') { '\'' } else { '"' };
        for piece in page.split(marker).skip(1) {
            if let Some((value, _)) = piece.split_once(end) {
                found.push(value.to_owned());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_and_the_page_move_or_go_with_their_settings() {
    let (_proc, addr) = start(&[
        ("ASYNCWORKER_HTTP_OPENAPI_PATH", "/api/spec.json"),
        ("ASYNCWORKER_HTTP_DOCS_PATH", "/api/docs"),
    ])
    .await;
    assert_eq!(get(addr, "/api/spec.json").await.0, 200);
    assert_eq!(get(addr, "/openapi.json").await.0, 404);
    let (status, _, page) = get(addr, "/api/docs").await;
    assert_eq!(status, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("url: '/api/spec.json'"), "{page}");
    assert_eq!(get(addr, "/api/docs/swagger-ui.css").await.0, 200);

    let (_off, addr) = start(&[("ASYNCWORKER_HTTP_OPENAPI_PATH", "")]).await;
    assert_eq!(get(addr, "/openapi.json").await.0, 404);
    assert_eq!(get(addr, "/docs").await.0, 404, "a page without a document");
    assert_eq!(get(addr, "/health/live").await.0, 200);

    let (code, _, stderr) = aw_api(&["--openapi", "--asyncapi"], &[]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, _, stderr) = aw_api(&["--check"], &[("ASYNCWORKER_HTTP_OPENAPI_PATH", "spec")]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("ASYNCWORKER_HTTP_OPENAPI_PATH") && stderr.contains("\"spec\""),
        "{stderr}"
    );
}
