//! One run of a scheduled route on demand, through the path a tick takes: routes registered by
//! hand (as `#[route(every = ...)]` would), run through [`Schedules`].

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::app::App;
use crate::registry::Filter;
use crate::schedule::{RunKey, ScheduleOptions, ScheduleRouteDef, Trigger, schedule_factory};
use crate::testing::RunError;
use crate::testing::schedule::Schedules;

static RUNS: AtomicU32 = AtomicU32::new(0);

async fn counts() {
    RUNS.fetch_add(1, Ordering::SeqCst);
}

async fn fails() -> Result<(), String> {
    Err("the report is empty".into())
}

async fn panics() {
    panic!("no database")
}

static KEYS: std::sync::Mutex<Vec<RunKey>> = std::sync::Mutex::new(Vec::new());

async fn keyed(key: RunKey) {
    KEYS.lock().unwrap().push(key);
}

async fn sleeps() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

/// A scheduled route of this module, as the macro registers one; every hour, so that a
/// ticker would never fire during a test.
macro_rules! schedule {
    ($name:literal, $handler:ident, $timeout_ms:expr) => {
        inventory::submit!(ScheduleRouteDef {
            name: $name,
            module_path: module_path!(),
            file: file!(),
            line: line!(),
            doc: "",
            trigger: Trigger::Every(3_600_000),
            options: ScheduleOptions {
                timeout_ms: $timeout_ms,
                ..ScheduleOptions::DEFAULT
            },
            factory: || schedule_factory($handler),
        });
    };
}
schedule!("counts", counts, None);
schedule!("fails", fails, None);
schedule!("panics", panics, None);
schedule!("sleeps", sleeps, Some(1500));

// A singleton: in a test worker it runs as its lease holder would, with no broker.
inventory::submit!(ScheduleRouteDef {
    name: "keyed",
    module_path: module_path!(),
    file: file!(),
    line: line!(),
    doc: "",
    trigger: Trigger::Every(3_600_000),
    options: ScheduleOptions {
        singleton: true,
        ..ScheduleOptions::DEFAULT
    },
    factory: || schedule_factory(keyed),
});

fn schedules(app: &App) -> Schedules {
    Schedules::prepare(&Filter::module(Some(module_path!())), app).expect("the routes are fine")
}

#[tokio::test]
async fn a_run_is_one_call_of_the_job_and_is_counted() {
    let app = App::for_tests();
    let s = schedules(&app);
    let before = RUNS.load(Ordering::SeqCst);
    s.run(&app, "counts").await.unwrap();
    s.run(&app, "counts").await.unwrap();
    assert_eq!(RUNS.load(Ordering::SeqCst) - before, 2);
    let metrics = app.metrics().encode();
    let counted = r#"asyncworker_schedule_runs_total{route="counts",outcome="ok"} 2"#;
    assert!(metrics.contains(counted), "{metrics}");
}

#[tokio::test]
async fn errors_and_panics_are_told_apart() {
    let app = App::for_tests();
    let s = schedules(&app);
    let failed = s.run(&app, "fails").await.unwrap_err();
    assert_eq!(failed, RunError::Failed("the report is empty".into()));
    assert_eq!(
        failed.to_string(),
        "the scheduled run failed: the report is empty"
    );
    let panicked = s.run(&app, "panics").await.unwrap_err();
    assert_eq!(panicked, RunError::Panicked("no database".into()));
    let metrics = app.metrics().encode();
    for outcome in ["error", "panic"] {
        assert!(
            metrics.contains(&format!("outcome=\"{outcome}\"}} 1")),
            "{metrics}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_route_timeout_applies() {
    let app = App::for_tests();
    let r = schedules(&app).run(&app, "sleeps").await;
    assert_eq!(r, Err(RunError::TimedOut(Duration::from_millis(1500))));
    assert_eq!(
        r.unwrap_err().to_string(),
        "the scheduled run timed out after 1.5s"
    );
}

#[tokio::test]
#[should_panic(
    expected = r#"no scheduled route is named "nightly"; the scheduled routes are ["counts", "fails", "keyed", "panics", "sleeps"]"#
)]
async fn an_unknown_name_panics_with_the_known_ones() {
    let app = App::for_tests();
    let _ = schedules(&app).run(&app, "nightly").await;
}

#[tokio::test]
async fn a_singleton_runs_as_its_leader_with_a_key_planned_for_now() {
    let app = App::for_tests();
    let before = chrono::Utc::now();
    schedules(&app).run(&app, "keyed").await.unwrap();
    let after = chrono::Utc::now();
    let keys = KEYS.lock().unwrap().clone();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(key.route(), "keyed");
    let millis = |t: chrono::DateTime<chrono::Utc>| t.timestamp_millis();
    assert!(
        (millis(before)..=millis(after)).contains(&millis(key.scheduled_at())),
        "{key} not planned for the run's moment ({before} .. {after})"
    );
    assert_eq!(
        key.as_str(),
        format!(
            "keyed@{}",
            key.scheduled_at()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )
    );
}
