//! Scheduled routes (`every`, `cron`) running in-process: interval, `immediately`, skipping
//! and `max_concurrency`, failures that keep the schedule alive, shutdown, one real cron run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use asyncworker::prelude::*;
use asyncworker_tests::{Running, settings, unique_prefix, wait_until};

/// The value of the metric line starting with `prefix` (name and labels), or 0.
fn metric(running: &Running, prefix: &str) -> u64 {
    running
        .app
        .metrics()
        .encode()
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

/// Counts handler calls in flight and the highest count seen.
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
    done: AtomicUsize,
}

impl Gauge {
    const fn new() -> Gauge {
        Gauge {
            now: AtomicUsize::new(0),
            max: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
        }
    }

    async fn hold(&self, d: Duration) {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
        tokio::time::sleep(d).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
        self.done.fetch_add(1, Ordering::SeqCst);
    }
}

mod interval {
    use super::*;
    pub static RUNS: Mutex<Vec<Instant>> = Mutex::new(Vec::new());

    #[route(every = "200ms")]
    async fn tick() {
        RUNS.lock().unwrap().push(Instant::now());
    }
}

/// Runs come at the interval. Tolerance: each gap is at least 150 ms (200 ms minus 50 ms of
/// timer slack); there is no timed upper bound (a loaded machine may be late).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_runs_at_the_interval() {
    let start = Instant::now();
    let worker = Running::start(
        &format!("{}::interval", module_path!()),
        settings(&unique_prefix("every")),
    );
    wait_until(Duration::from_secs(10), "4 runs", || async {
        interval::RUNS.lock().unwrap().len() >= 4
    })
    .await;
    worker.stop().await.unwrap();
    let runs = interval::RUNS.lock().unwrap().clone();
    assert!(
        runs[0] - start >= Duration::from_millis(150),
        "without `immediately` the first run waits one interval: {:?}",
        runs[0] - start
    );
    for pair in runs.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(150), "gap {gap:?} in {runs:?}");
    }
}

mod immediate {
    use super::*;
    pub static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[route(every = "1h", immediately = true)]
    async fn tick() {
        RUNS.fetch_add(1, Ordering::SeqCst);
    }
}

/// With `immediately = true` the first run is at start, not an interval (1 h) later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn immediately_runs_at_start() {
    let worker = Running::start(
        &format!("{}::immediate", module_path!()),
        settings(&unique_prefix("immediate")),
    );
    wait_until(Duration::from_secs(5), "the run at start", || async {
        immediate::RUNS.load(Ordering::SeqCst) == 1
    })
    .await;
    worker.stop().await.unwrap();
    assert_eq!(immediate::RUNS.load(Ordering::SeqCst), 1);
}

mod slow {
    use super::*;
    pub static G: Gauge = Gauge::new();

    #[route(every = "100ms")]
    async fn slow() {
        G.hold(Duration::from_millis(350)).await;
    }
}

/// A run slower than the interval makes the next ticks skip (default `max_concurrency = 1`),
/// and the skips are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_runs_make_ticks_skip_and_count() {
    let worker = Running::start(
        &format!("{}::slow", module_path!()),
        settings(&unique_prefix("slow")),
    );
    wait_until(Duration::from_secs(10), "2 runs and 3 skips", || async {
        slow::G.done.load(Ordering::SeqCst) >= 2
            && metric(&worker, r#"asyncworker_schedule_skips_total{route="slow"}"#) >= 3
    })
    .await;
    worker.stop().await.unwrap();
    assert_eq!(slow::G.max.load(Ordering::SeqCst), 1, "never two at once");
}

mod overlap {
    use super::*;
    pub static G: Gauge = Gauge::new();

    #[route(every = "100ms", max_concurrency = 2)]
    async fn overlapping() {
        G.hold(Duration::from_millis(350)).await;
    }
}

/// `max_concurrency = 2` lets two runs overlap, never three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_concurrency_two_overlaps() {
    let worker = Running::start(
        &format!("{}::overlap", module_path!()),
        settings(&unique_prefix("overlap")),
    );
    wait_until(Duration::from_secs(10), "two runs at once", || async {
        overlap::G.max.load(Ordering::SeqCst) >= 2
            && metric(
                &worker,
                r#"asyncworker_schedule_skips_total{route="overlapping"}"#,
            ) >= 1
    })
    .await;
    worker.stop().await.unwrap();
    assert_eq!(overlap::G.max.load(Ordering::SeqCst), 2);
}

mod failing {
    use super::*;
    pub static ERRS: AtomicUsize = AtomicUsize::new(0);
    pub static PANICS: AtomicUsize = AtomicUsize::new(0);

    #[route(every = "100ms")]
    async fn erring() -> Result<(), String> {
        ERRS.fetch_add(1, Ordering::SeqCst);
        Err("boom".to_owned())
    }

    #[route(every = "100ms")]
    async fn panicking() {
        PANICS.fetch_add(1, Ordering::SeqCst);
        panic!("scheduled panic");
    }
}

/// An Err or a panic is counted and the schedule keeps going.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_panics_keep_the_schedule_alive() {
    let worker = Running::start(
        &format!("{}::failing", module_path!()),
        settings(&unique_prefix("failing")),
    );
    wait_until(Duration::from_secs(10), "3 runs of each", || async {
        failing::ERRS.load(Ordering::SeqCst) >= 3 && failing::PANICS.load(Ordering::SeqCst) >= 3
    })
    .await;
    assert!(
        metric(
            &worker,
            r#"asyncworker_schedule_runs_total{route="erring",outcome="error"}"#
        ) >= 2
    );
    assert!(
        metric(
            &worker,
            r#"asyncworker_schedule_runs_total{route="panicking",outcome="panic"}"#
        ) >= 2
    );
    worker.stop().await.unwrap();
}

mod draining {
    use super::*;
    pub static STARTED: AtomicUsize = AtomicUsize::new(0);
    pub static FINISHED: AtomicUsize = AtomicUsize::new(0);

    #[route(every = "1h", immediately = true)]
    async fn long_job() {
        STARTED.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(500)).await;
        FINISHED.fetch_add(1, Ordering::SeqCst);
    }
}

/// Shutdown stops ticking and awaits the running job (within the deadline, 10 s here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_awaits_a_running_job() {
    let worker = Running::start(
        &format!("{}::draining", module_path!()),
        settings(&unique_prefix("draining")),
    );
    wait_until(Duration::from_secs(5), "the job started", || async {
        draining::STARTED.load(Ordering::SeqCst) == 1
    })
    .await;
    assert_eq!(draining::FINISHED.load(Ordering::SeqCst), 0);
    worker.stop().await.unwrap();
    assert_eq!(draining::FINISHED.load(Ordering::SeqCst), 1);
    assert_eq!(draining::STARTED.load(Ordering::SeqCst), 1);
}

mod cron_every_second {
    use super::*;
    pub static RUNS: Mutex<Vec<Instant>> = Mutex::new(Vec::new());

    #[route(cron = "* * * * * *")]
    async fn each_second() {
        RUNS.lock().unwrap().push(Instant::now());
    }
}

/// A real cron schedule fires (every second here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cron_runs_for_real() {
    let worker = Running::start(
        &format!("{}::cron_every_second", module_path!()),
        settings(&unique_prefix("cron")),
    );
    wait_until(Duration::from_secs(6), "2 cron runs", || async {
        cron_every_second::RUNS.lock().unwrap().len() >= 2
    })
    .await;
    worker.stop().await.unwrap();
    let runs = cron_every_second::RUNS.lock().unwrap().clone();
    for pair in runs.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= Duration::from_millis(500), "gap {gap:?} in {runs:?}");
    }
}

mod cron_in_a_zone {
    use super::*;
    pub static RUNS: Mutex<Vec<Instant>> = Mutex::new(Vec::new());

    // Kolkata is UTC+05:30: a zone whose offset is not whole hours.
    #[route(cron = "* * * * * *", tz = "Asia/Kolkata")]
    async fn each_second_in_kolkata() {
        RUNS.lock().unwrap().push(Instant::now());
    }
}

/// A cron route with a time zone runs for real.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cron_with_a_zone_runs_for_real() {
    let worker = Running::start(
        &format!("{}::cron_in_a_zone", module_path!()),
        settings(&unique_prefix("cron-tz")),
    );
    wait_until(Duration::from_secs(6), "2 cron runs in Kolkata", || async {
        cron_in_a_zone::RUNS.lock().unwrap().len() >= 2
    })
    .await;
    worker.stop().await.unwrap();
}

mod five_fields {
    use super::*;

    #[route(cron = "30 9 * * Mon-Fri", tz = "Europe/Berlin")]
    async fn weekday_morning() {}
}

/// A five-field expression with a zone, as the worker reads it: `--check` gives its next fire
/// time, at 09:30:00 local time with Berlin's offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_fields_with_a_zone_are_checked() {
    let report = asyncworker::Worker::new(settings(&unique_prefix("cron5")))
        .only_module(&format!("{}::five_fields", module_path!()))
        .check()
        .await
        .unwrap();
    assert!(report.is_ok(), "{report}");
    let line = &report.items()[0].line;
    let prefix =
        "schedule weekday_morning: cron=\"30 9 * * Mon-Fri\" tz=Europe/Berlin, next fire at ";
    assert!(line.starts_with(prefix), "{line}");
    let at = &line[prefix.len()..];
    assert!(
        at.ends_with("T09:30:00.000+01:00") || at.ends_with("T09:30:00.000+02:00"),
        "{line}"
    );
}
