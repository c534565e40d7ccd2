//! `TestWorker::run_schedule()`: one tick of a scheduled route, now, with its outcome; the
//! schedules never fire on their own in a test worker.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker::testing::{RunError, TestWorker};

mod jobs {
    use super::*;

    /// Counts its runs in state inserted by the test (`.state(...)`).
    pub struct Runs(pub AtomicU32);

    /// Every second and immediately: a ticker would have run it by the time the test looks.
    #[route(every = "1s", immediately = true)]
    async fn nightly(runs: State<Runs>) {
        runs.0.fetch_add(1, Ordering::SeqCst);
    }

    #[route(cron = "0 0 3 * * *")]
    async fn failing() -> Result<(), String> {
        Err("the report is empty".into())
    }

    #[route(every = "1h")]
    async fn panicking() {
        panic!("no database");
    }

    #[route(every = "1h", timeout = "50ms")]
    async fn slow() {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }

    /// Leads among replicas on a real broker; the harness has none.
    #[route(every = "1m", singleton = true)]
    async fn lead(runs: State<Runs>) {
        runs.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn worker() -> TestWorker {
    TestWorker::builder()
        .only_module(&format!("{}::jobs", module_path!()))
        .state(jobs::Runs(AtomicU32::new(0)))
        .start()
        .await
        .expect("the worker starts")
}

fn runs(w: &TestWorker) -> u32 {
    w.app().state::<jobs::Runs>().0.load(Ordering::SeqCst)
}

/// With tokio's clock paused, the sleep below passes at once; a ticker (`immediately`, then
/// every second) would have run the job six times in it.
#[tokio::test(start_paused = true)]
async fn a_run_is_one_call_and_nothing_fires_on_its_own() {
    let w = worker().await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(runs(&w), 0, "no ticker runs");
    w.run_schedule("nightly").await.unwrap();
    w.run_schedule("nightly").await.unwrap();
    assert_eq!(runs(&w), 2);
    let metrics = w.app().metrics().encode();
    let counted = r#"asyncworker_schedule_runs_total{route="nightly",outcome="ok"} 2"#;
    assert!(metrics.contains(counted), "{metrics}");
    w.stop().await;
}

#[tokio::test]
async fn an_error_is_failed_with_its_text() {
    let w = worker().await;
    let e = w.run_schedule("failing").await.unwrap_err();
    assert_eq!(e, RunError::Failed("the report is empty".into()));
    w.stop().await;
}

#[tokio::test]
async fn a_panic_is_caught_and_told_apart() {
    let w = worker().await;
    let e = w.run_schedule("panicking").await.unwrap_err();
    assert_eq!(e, RunError::Panicked("no database".into()));
    // The worker is still usable.
    let e = w.run_schedule("failing").await.unwrap_err();
    assert!(matches!(e, RunError::Failed(_)), "{e}");
    w.stop().await;
}

#[tokio::test]
async fn the_route_timeout_applies() {
    let w = worker().await;
    let e = w.run_schedule("slow").await.unwrap_err();
    assert_eq!(e, RunError::TimedOut(Duration::from_millis(50)));
    assert_eq!(e.to_string(), "the scheduled run timed out after 50ms");
    w.stop().await;
}

#[tokio::test]
#[should_panic(expected = r#"no scheduled route is named "weekly""#)]
async fn an_unknown_name_panics_with_the_known_ones() {
    let w = worker().await;
    let _ = w.run_schedule("weekly").await;
}

/// A test worker has no broker to hold a lease: a singleton runs as its leader would, and no
/// lease that can never be taken keeps readiness at 503 (the students example's handler tests
/// ask `/health/ready`).
#[tokio::test]
async fn a_singleton_runs_as_its_leader_and_readiness_does_not_wait_for_a_lease() {
    let w = worker().await;
    w.run_schedule("lead").await.unwrap();
    assert_eq!(runs(&w), 1);
    let ready = w.http().get("/health/ready").await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    assert!(!ready.text().contains("lease"), "{}", ready.text());
    w.stop().await;
}
