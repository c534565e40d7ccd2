//! The students service end to end: its binary against the machine's PostgreSQL (a database
//! of each test's own, created and dropped by the test) and RabbitMQ (queues under a prefix of
//! the test's own, deleted at the end), over real HTTP on loopback.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use asyncworker_tests::{Broker, DeleteOnDrop, Proc, unique_prefix, wait_until};
use serde_json::{Value, json};
use support::TestDb;

const QUEUES: [&str; 3] = [
    "students.create",
    "students.create.retry",
    "students.create.parking",
];

/// The worker binary with `--only <only>` (all backends when empty), on the test's database,
/// queue prefix and application name (so that its singleton leases are the test's own).
fn start(db: &TestDb, prefix: &str, only: &str) -> Proc {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_students"));
    if !only.is_empty() {
        cmd.args(["--only", only]);
    }
    cmd.env("DATABASE_URL", &db.url)
        .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", prefix)
        .env("ASYNCWORKER_APP_NAME", format!("{prefix}students"))
        .env("ASYNCWORKER_HTTP_PORT", "0")
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "10s")
        .env("ASYNCWORKER_LOG", "info,sqlx=warn");
    Proc::spawn(cmd)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// The status and JSON body of a request.
async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = match text.is_empty() {
        true => Value::Null,
        false => serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}")),
    };
    (status, body)
}

/// Waits until `/health/ready` answers `status`; its body then.
async fn wait_ready(base: &str, status: u16, limit: Duration) -> Value {
    let deadline = std::time::Instant::now() + limit;
    loop {
        let (got, body) = call(client().get(format!("{base}/health/ready"))).await;
        if got == status {
            return body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{base}/health/ready did not answer {status} within {limit:?}; last {got} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every active student, through every page of `GET /students` (pages of 100).
async fn list_all(base: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = 0;
    for _ in 0..1000 {
        let (status, page) =
            call(client().get(format!("{base}/students?limit=100&after={after}"))).await;
        assert_eq!(status, 200, "{page}");
        all.extend(
            page["students"]
                .as_array()
                .expect("students")
                .iter()
                .cloned(),
        );
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => return all,
        }
    }
    panic!("more than 1000 pages");
}

/// Stops a worker with SIGTERM: it drains and exits 0.
async fn stop(mut worker: Proc) {
    worker.signal("TERM");
    let status = worker.wait(Duration::from_secs(30)).await;
    assert!(
        status.success(),
        "exit {status}; stderr: {}",
        worker.stderr()
    );
}

#[tokio::test]
async fn the_crud_cycle_over_http() {
    let db = TestDb::create("crud").await;
    let worker = start(&db, &unique_prefix("crud"), "http");
    let base = format!("http://{}", worker.http_addr(Duration::from_secs(60)).await);
    wait_ready(&base, 200, Duration::from_secs(30)).await;
    let http = client();
    let students = format!("{base}/students");

    let (status, ada) = call(
        http.post(&students)
            .json(&json!({"name": " Ada ", "email": "ADA@x.org"})),
    )
    .await;
    assert_eq!(status, 201, "{ada}");
    assert_eq!(
        (ada["name"].as_str(), ada["email"].as_str()),
        (Some("Ada"), Some("ada@x.org"))
    );
    assert_eq!(ada["active"], true);
    let id = ada["id"].as_i64().expect("id");
    let one = format!("{students}/{id}");

    // Refusals name the field: the checks' and the extractor's alike.
    let (status, error) = call(
        http.post(&students)
            .json(&json!({"name": "  ", "email": "b@x.org"})),
    )
    .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (422, Some("name: must not be empty"))
    );
    let (status, error) = call(http.post(&students).json(&json!({"email": "b@x.org"}))).await;
    assert_eq!(status, 422, "{error}");
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("missing field `name`"),
        "{error}"
    );
    let (status, error) = call(
        http.post(&students)
            .json(&json!({"name": "B", "email": "b"})),
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert!(
        error["error"].as_str().unwrap().starts_with("email: "),
        "{error}"
    );
    let (status, error) = call(
        http.post(&students)
            .json(&json!({"name": "Eve", "email": "ada@X.org"})),
    )
    .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (409, Some("email: already taken"))
    );

    assert_eq!(call(http.get(&one)).await, (200, ada.clone()));
    let (status, error) = call(http.get(format!("{students}/999999"))).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (404, Some("no student 999999"))
    );

    let (status, changed) = call(
        http.put(&one)
            .json(&json!({"name": "Ada King", "email": "ada@x.org"})),
    )
    .await;
    assert_eq!((status, changed["name"].as_str()), (200, Some("Ada King")));
    let (status, _) = call(
        http.put(format!("{students}/999999"))
            .json(&json!({"name": "X", "email": "x@x.x"})),
    )
    .await;
    assert_eq!(status, 404);

    let listed = list_all(&base).await;
    assert_eq!(listed, vec![changed.clone()]);
    let (status, gone) = call(http.post(format!("{one}/deactivate"))).await;
    assert_eq!((status, gone["active"].as_bool()), (200, Some(false)));
    assert!(
        list_all(&base).await.is_empty(),
        "a deactivated student is not listed"
    );
    assert_eq!(
        call(http.get(&one)).await.1["active"],
        false,
        "but it is kept"
    );

    let (status, _) = call(http.delete(&one)).await;
    assert_eq!(status, 204);
    assert_eq!(call(http.get(&one)).await.0, 404);
    assert_eq!(call(http.delete(&one)).await.0, 404);
    assert_eq!(db.count("true").await, 0);

    // Documented: the API in the OpenAPI document, and its Swagger UI page.
    let (status, document) = call(http.get(format!("{base}/openapi.json"))).await;
    assert_eq!(status, 200);
    for path in ["/students", "/students/{id}", "/students/{id}/deactivate"] {
        assert!(document["paths"][path].is_object(), "{path} not documented");
    }
    let page = http.get(format!("{base}/docs")).send().await.expect("docs");
    assert_eq!(page.status(), 200);
    stop(worker).await;
}

#[tokio::test]
async fn five_hundred_published_students_appear_and_the_bad_ones_are_parked() {
    let db = TestDb::create("bulk").await;
    let prefix = unique_prefix("bulk");
    // Deleted at the end, a failed test's too: the broker is shared and left as found.
    let _queues = DeleteOnDrop::prefixed(&prefix, QUEUES);
    let prefix = prefix.as_str();
    let worker = start(&db, prefix, "");
    let base = format!("http://{}", worker.http_addr(Duration::from_secs(60)).await);
    wait_ready(&base, 200, Duration::from_secs(30)).await;

    // 500 students and, among them, three that cannot be stored: JSON that does not parse, an
    // empty name (the checks refuse it) and a NUL byte (PostgreSQL refuses it, inside a bulk
    // whose other rows must still commit).
    let mut bodies: Vec<Vec<u8>> = (0..500)
        .map(|i| json!({"name": format!("Student {i}"), "email": format!("s{i}@x.org")}))
        .map(|v| serde_json::to_vec(&v).unwrap())
        .collect();
    bodies.insert(10, b"{\"name\": \"broken".to_vec());
    bodies.insert(
        200,
        serde_json::to_vec(&json!({"name": "", "email": "e@x.org"})).unwrap(),
    );
    bodies.insert(
        400,
        serde_json::to_vec(&json!({"name": "nul\u{0}byte", "email": "n@x.org"})).unwrap(),
    );
    let broker = Broker::connect().await;
    broker
        .publish_raw(&format!("{prefix}students.create"), bodies)
        .await;

    let parking = format!("{prefix}students.create.parking");
    wait_until(
        Duration::from_secs(60),
        "500 students stored and 3 parked",
        || async { db.count("true").await == 500 && broker.ready(&parking).await == 3 },
    )
    .await;
    let listed = list_all(&base).await;
    let emails: HashSet<&str> = listed.iter().filter_map(|s| s["email"].as_str()).collect();
    assert_eq!(listed.len(), 500, "each listed once");
    assert_eq!(emails.len(), 500, "no duplicates");
    assert!(
        (0..500).all(|i| emails.contains(format!("s{i}@x.org").as_str())),
        "none lost"
    );
    assert_eq!(broker.ready(&format!("{prefix}students.create")).await, 0);

    let mut parked: Vec<String> = broker
        .drain(&parking)
        .await
        .into_iter()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    parked.sort();
    assert_eq!(parked.len(), 3, "{parked:?}");
    assert!(parked[0].contains("broken") || parked.iter().any(|p| p.contains("broken")));
    assert!(parked.iter().any(|p| p.contains("e@x.org")), "{parked:?}");
    assert!(parked.iter().any(|p| p.contains("n@x.org")), "{parked:?}");
    stop(worker).await;
}

#[tokio::test]
async fn the_three_deployments_share_the_database() {
    let db = TestDb::create("modes").await;
    let prefix = unique_prefix("modes");
    // Deleted at the end, a failed test's too: the broker is shared and left as found.
    let _queues = DeleteOnDrop::prefixed(&prefix, QUEUES);
    let prefix = prefix.as_str();
    // The template's `run`, `consume` and `schedule`, as three processes.
    let api = start(&db, prefix, "http");
    let consumer = start(&db, prefix, "amqp");
    let jobs = start(&db, prefix, "schedule");
    let base = format!("http://{}", api.http_addr(Duration::from_secs(60)).await);
    wait_ready(&base, 200, Duration::from_secs(30)).await;

    let broker = Broker::connect().await;
    let queue = format!("{prefix}students.create");
    // The consumer declares its queues once it runs; only it consumes them. (A channel per
    // look: a passive declare of a queue not there yet closes its channel.)
    let consumers = || async {
        let channel = broker.conn.create_channel().await.expect("channel");
        let declared = channel
            .queue_declare(
                queue.as_str().into(),
                lapin::options::QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                Default::default(),
            )
            .await;
        declared.map(|q| q.consumer_count()).unwrap_or(0)
    };
    wait_until(Duration::from_secs(30), "the consumer attached", || async {
        consumers().await == 1
    })
    .await;
    let messy = [("  grace   hopper ", "g@x.org"), ("alan turing", "a@x.org")];
    let bodies = messy.map(|(name, email)| json!({"name": name, "email": email}));
    broker.publish_json(&queue, &bodies).await;

    // Stored by the consumer, tidied by the scheduled job (every 10 s), served by the API.
    wait_until(Duration::from_secs(40), "the names tidied", || async {
        let mut names: Vec<String> = list_all(&base)
            .await
            .iter()
            .filter_map(|s| s["name"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        names == ["Alan Turing", "Grace Hopper"]
    })
    .await;
    assert_eq!(consumers().await, 1, "the API and the jobs consume nothing");
    let logs = |p: &Proc| p.stdout().join("\n") + &p.stderr();
    assert!(
        !logs(&api).contains("tidied"),
        "the API runs no job: {}",
        logs(&api)
    );
    assert!(logs(&jobs).contains("tidied the names"), "{}", logs(&jobs));
    for worker in [api, consumer, jobs] {
        stop(worker).await;
    }
}

#[tokio::test]
async fn readiness_follows_the_database() {
    let db = TestDb::create("ready").await;
    let worker = start(&db, &unique_prefix("ready"), "http");
    let base = format!("http://{}", worker.http_addr(Duration::from_secs(60)).await);
    wait_ready(&base, 200, Duration::from_secs(30)).await;
    assert_eq!(call(client().get(format!("{base}/students"))).await.0, 200);

    db.go_away().await;
    let body = wait_ready(&base, 503, Duration::from_secs(20)).await;
    assert_eq!(body["not_ready"], json!(["check postgres"]), "{body}");
    assert!(body["reasons"]["check postgres"].is_string(), "{body}");
    let (status, error) = call(client().get(format!("{base}/students"))).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (503, Some("the database is unavailable"))
    );
    // Liveness is not readiness: the process is fine.
    assert_eq!(
        call(client().get(format!("{base}/health/live"))).await.0,
        200
    );

    db.come_back().await;
    wait_ready(&base, 200, Duration::from_secs(20)).await;
    assert_eq!(call(client().get(format!("{base}/students"))).await.0, 200);
    stop(worker).await;
}
