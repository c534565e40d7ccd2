//! `Timeit`: named, nested timings of a block, reported together to a callback (the Python
//! async-worker utility), and to tracing.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// tokio's clock, so that tests with paused time measure virtual time.
use tokio::time::Instant;

/// What a finished [`Timeit`] reports: every named duration, outermost first, and the error
/// if the timed block failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeitReport {
    /// `(name, duration)`; nested timings are named `outer/inner`.
    pub timings: Vec<(String, Duration)>,
    /// The block's error, rendered with `Display`, if it failed.
    pub error: Option<String>,
}

impl TimeitReport {
    /// The duration recorded under `name`, if any.
    pub fn get(&self, name: &str) -> Option<Duration> {
        self.timings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| *d)
    }
}

type Callback = Box<dyn Fn(&TimeitReport) + Send + Sync + 'static>;

struct Inner {
    root: String,
    started: Instant,
    timings: Mutex<Vec<(String, Duration)>>,
    callback: Option<Callback>,
}

/// Named, nested timings with one report at the end.
///
/// As a wrapper around a future (the report carries the error if it returns `Err`):
///
/// ```
/// use asyncworker::observe::Timeit;
/// # async fn demo() {
/// let result: Result<u32, std::io::Error> = Timeit::new("import")
///     .on_report(|report| println!("{:?}", report.timings))
///     .run(|t| async move {
///         let rows = {
///             let _parse = t.span("parse");
///             41
///         };
///         let _store = t.span("store");
///         Ok(rows + 1)
///     })
///     .await;
/// assert_eq!(result.unwrap(), 42);
/// # }
/// ```
///
/// Or by hand, with guards: every [`span`](Timeit::span) records when dropped, and
/// [`finish`](Timeit::finish) reports.
///
/// ```
/// use asyncworker::observe::Timeit;
///
/// let t = Timeit::new("request");
/// {
///     let outer = t.span("db");
///     let _inner = outer.span("query");
/// }
/// let report = t.finish::<std::convert::Infallible>(None);
/// assert!(report.get("request/db").is_some());
/// assert!(report.get("request/db/query").is_some());
/// assert!(report.get("request").is_some());
/// ```
#[derive(Clone)]
pub struct Timeit {
    inner: Arc<Inner>,
}

impl fmt::Debug for Timeit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeit")
            .field("name", &self.inner.root)
            .finish_non_exhaustive()
    }
}

impl Timeit {
    /// Starts timing a block called `name`.
    pub fn new(name: impl Into<String>) -> Timeit {
        Timeit {
            inner: Arc::new(Inner {
                root: name.into(),
                started: Instant::now(),
                timings: Mutex::new(Vec::new()),
                callback: None,
            }),
        }
    }

    /// Calls `callback` with the report when the block ends.
    pub fn on_report(self, callback: impl Fn(&TimeitReport) + Send + Sync + 'static) -> Timeit {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            root: shared.root.clone(),
            started: shared.started,
            timings: Mutex::new(
                shared
                    .timings
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone(),
            ),
            callback: None,
        });
        Timeit {
            inner: Arc::new(Inner {
                callback: Some(Box::new(callback)),
                ..inner
            }),
        }
    }

    /// Times a nested part; it is recorded as `<name>/<part>` when the guard drops.
    pub fn span(&self, part: &str) -> TimeitSpan {
        TimeitSpan {
            timeit: self.clone(),
            name: format!("{}/{part}", self.inner.root),
            started: Instant::now(),
        }
    }

    /// Ends the block: records its total, logs every timing and calls the callback.
    pub fn finish<E: fmt::Display>(self, error: Option<&E>) -> TimeitReport {
        let total = self.inner.started.elapsed();
        let mut timings = vec![(self.inner.root.clone(), total)];
        timings.extend(
            self.inner
                .timings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned(),
        );
        let report = TimeitReport {
            timings,
            error: error.map(ToString::to_string),
        };
        for (name, d) in &report.timings {
            tracing::debug!(timeit = %name, seconds = d.as_secs_f64(), error = report.error.as_deref(), "timing");
        }
        if let Some(cb) = &self.inner.callback {
            cb(&report);
        }
        report
    }

    /// Runs the block built by `f` (which gets this `Timeit` for nested spans) and reports
    /// when it ends, with the error if it returned `Err`.
    pub async fn run<F, Fut, T, E>(self, f: F) -> Result<T, E>
    where
        F: FnOnce(Timeit) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: fmt::Display,
    {
        let result = f(self.clone()).await;
        self.finish(result.as_ref().err());
        result
    }

    fn record(&self, name: String, d: Duration) {
        self.inner
            .timings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, d));
    }
}

/// A running nested timing; records itself when dropped.
#[must_use = "the timing is recorded when this guard is dropped"]
pub struct TimeitSpan {
    timeit: Timeit,
    name: String,
    started: Instant,
}

impl TimeitSpan {
    /// Times a part nested in this one (`<this>/<part>`).
    pub fn span(&self, part: &str) -> TimeitSpan {
        TimeitSpan {
            timeit: self.timeit.clone(),
            name: format!("{}/{part}", self.name),
            started: Instant::now(),
        }
    }
}

impl fmt::Debug for TimeitSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeitSpan")
            .field("name", &self.name)
            .finish()
    }
}

impl Drop for TimeitSpan {
    fn drop(&mut self) {
        self.timeit
            .record(std::mem::take(&mut self.name), self.started.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn nested_timings_and_error_reach_the_callback() {
        let seen: Arc<Mutex<Option<TimeitReport>>> = Arc::default();
        let sink = Arc::clone(&seen);
        let result: Result<(), String> = Timeit::new("job")
            .on_report(move |r| *sink.lock().unwrap() = Some(r.clone()))
            .run(|t| async move {
                let outer = t.span("load");
                {
                    let _inner = outer.span("parse");
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
                drop(outer);
                Err("disk full".to_owned())
            })
            .await;
        assert_eq!(result, Err("disk full".to_owned()));
        let report = seen.lock().unwrap().clone().expect("callback called");
        let names: Vec<&str> = report.timings.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["job", "job/load/parse", "job/load"]);
        assert_eq!(report.error.as_deref(), Some("disk full"));
        let parse = report.get("job/load/parse").unwrap();
        assert!(parse >= Duration::from_millis(30), "{parse:?}");
        assert!(report.get("job/load").unwrap() >= parse);
        assert!(report.get("job").unwrap() >= report.get("job/load").unwrap());
    }

    #[test]
    fn success_reports_no_error() {
        let report = Timeit::new("ok").finish::<String>(None);
        assert_eq!(report.error, None);
        assert_eq!(report.timings.len(), 1);
    }
}
