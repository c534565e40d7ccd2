//! The handlers with `asyncworker::testing`: no broker and no socket, but the real database
//! (a database of each test's own on the machine's PostgreSQL), as a user of the template
//! would test their own handlers.

mod support;

use asyncworker::testing::{FateKind, TestWorker};
use serde_json::json;
use sqlx::PgPool;
use students::db::DbConfig;
use support::TestDb;

async fn worker(db: &TestDb) -> TestWorker {
    TestWorker::builder()
        .only_module("students")
        .state(DbConfig::new(&db.url))
        .start()
        .await
        .expect("the worker starts")
}

fn kinds(w: &TestWorker, queue: &str) -> Vec<FateKind> {
    w.fates(queue).into_iter().map(|f| f.kind).collect()
}

#[tokio::test]
async fn a_bulk_commits_the_good_students_and_parks_the_bad_ones() {
    let db = TestDb::create("h_bulk").await;
    let w = worker(&db).await;
    for i in 0..5 {
        w.publish(
            "students.create",
            &json!({"name": format!("S {i}"), "email": format!("s{i}@x.org")}),
        );
    }
    w.publish(
        "students.create",
        &json!({"name": " ", "email": "blank@x.org"}),
    );
    w.publish(
        "students.create",
        &json!({"name": "nul\u{0}", "email": "nul@x.org"}),
    );
    // A repeat (a redelivery, say) of an email already stored: nothing written, acked.
    w.publish(
        "students.create",
        &json!({"name": "Again", "email": "S0@x.org"}),
    );
    w.publish_raw(
        "students.create",
        &b"not json"[..],
        asyncworker::amqp::BasicProperties::default(),
    );
    w.settled().await;

    assert_eq!(db.count("true").await, 5);
    assert_eq!(db.count("email = 's0@x.org' AND name = 'S 0'").await, 1);
    let fates = kinds(&w, "students.create");
    assert_eq!(
        fates.iter().filter(|k| **k == FateKind::Acked).count(),
        6,
        "{fates:?}"
    );
    assert_eq!(
        fates.iter().filter(|k| **k == FateKind::Rejected).count(),
        3,
        "{fates:?}"
    );
    let parked: Vec<String> = w
        .queue("students.create.parking")
        .iter()
        .map(|m| m.text())
        .collect();
    assert_eq!(parked.len(), 3, "{parked:?}");
    for needle in ["blank@x.org", "nul@x.org", "not json"] {
        assert!(
            parked.iter().any(|p| p.contains(needle)),
            "{needle} not parked: {parked:?}"
        );
    }
    w.stop().await;
}

#[tokio::test]
async fn a_failing_database_sends_the_bulk_to_its_retries_then_parks_it() {
    let db = TestDb::create("h_retry").await;
    let w = worker(&db).await;
    // The worker's pool closed: every query fails as with a database that is gone.
    w.app().state::<PgPool>().close().await;
    w.publish(
        "students.create",
        &json!({"name": "Ada", "email": "ada@x.org"}),
    );
    w.settled().await; // three retry delays of 5 s: skipped
    assert_eq!(
        kinds(&w, "students.create"),
        [
            FateKind::Retried { attempt: 2 },
            FateKind::Retried { attempt: 3 },
            FateKind::Retried { attempt: 4 },
            FateKind::DeadLettered {
                queue: "students.create.parking".into()
            },
        ]
    );
    assert_eq!(db.count("true").await, 0);
    w.stop().await;
}

#[tokio::test]
async fn the_jobs_tidy_names_and_report_counts() {
    let db = TestDb::create("h_jobs").await;
    let w = worker(&db).await;
    sqlx::raw_sql(
        "INSERT INTO students (name, email, active) VALUES \
         ('  grace   hopper ', 'g@x.org', true), ('Alan Turing', 'a@x.org', true), \
         ('  left  alone ', 'l@x.org', false)",
    )
    .execute(&db.pool)
    .await
    .expect("rows");

    w.run_schedule("tidy_names").await.expect("tidy_names runs");
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM students ORDER BY email")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        names,
        ["Alan Turing", "Grace Hopper", "  left  alone "],
        "inactive ones kept"
    );

    w.run_schedule("report").await.expect("report runs");
    let reports: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT run_key, active, inactive FROM student_reports")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].0.starts_with("report@"), "{reports:?}");
    assert_eq!((reports[0].1, reports[0].2), (2, 1));
    w.stop().await;
}

#[tokio::test]
async fn the_api_in_process() {
    let db = TestDb::create("h_api").await;
    let w = worker(&db).await;
    let http = w.http();
    let refused = http
        .post_json("/students", &json!({"name": "", "email": "a@x.org"}))
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.json::<serde_json::Value>()["error"],
        "name: must not be empty"
    );
    let created = http
        .post_json("/students", &json!({"name": "Ada", "email": "a@x.org"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json::<serde_json::Value>()["id"].as_i64().unwrap();
    assert_eq!(http.get(&format!("/students/{id}")).await.status, 200);
    let ready = http.get("/health/ready").await;
    assert_eq!(
        ready.status,
        200,
        "the database check passes: {}",
        ready.text()
    );
    w.stop().await;
}
