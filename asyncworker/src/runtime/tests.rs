//! The runtime's own unit tests: the `--check` deadline and report, problem rendering, `--only`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::check::run_checks;
use super::cli::parse_only;
use super::{CheckItem, CheckReport, RouteProblem, WorkerError};
use crate::app::App;
use crate::backend::{Backend, CheckFuture, CheckLine};

/// A backend whose check answers `lines` after `delay` (never, if `None`): the real
/// backends' checks talk to the network, which cannot be made to hang on demand here.
struct Slow {
    kind: &'static str,
    delay: Option<Duration>,
    lines: Vec<CheckLine>,
}

impl Backend for Slow {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn describe(&self) -> Vec<String> {
        vec![format!("{} route", self.kind)]
    }

    fn check<'a>(&'a self, _app: &'a App) -> CheckFuture<'a> {
        Box::pin(async move {
            match self.delay {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
            self.lines.clone()
        })
    }

    fn run(
        self: Box<Self>,
        _app: App,
        _stop: CancellationToken,
        _deadline: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'static>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test(start_paused = true)]
async fn a_backend_that_does_not_answer_fails_at_the_deadline_and_the_rest_still_report() {
    let line = |ok, line: &str| CheckLine {
        ok,
        line: line.to_owned(),
    };
    let backends: Vec<Box<dyn Backend>> = vec![
        Box::new(Slow {
            kind: "amqp",
            delay: None,
            lines: Vec::new(),
        }),
        Box::new(Slow {
            kind: "http",
            delay: Some(Duration::from_secs(2)),
            lines: vec![line(true, "http server: free"), line(false, "http x: bad")],
        }),
    ];
    let app = App::for_tests();
    let started = tokio::time::Instant::now();
    let items = run_checks(&backends, &app, Duration::from_secs(30)).await;
    // One shared deadline: the hanging backend costs 30 s, not 30 s plus the others.
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    let kinds: Vec<_> = items.iter().map(|i: &CheckItem| (i.kind, i.ok)).collect();
    assert_eq!(kinds, [("amqp", false), ("http", true), ("http", false)]);
    assert!(items[0].line.contains("no answer within 30s"), "{items:?}");
    assert_eq!(items[2].line, "http x: bad");
}

#[test]
fn the_report_prints_aligned_lines_and_a_summary() {
    let report = CheckReport {
        items: vec![
            CheckItem {
                kind: "http",
                ok: true,
                line: "http server: free".into(),
            },
            CheckItem {
                kind: "sse",
                ok: false,
                line: "sse feed: refused".into(),
            },
        ],
    };
    assert_eq!(
        report.to_string(),
        "ok   http server: free\nFAIL sse feed: refused\ncheck: 1 ok, 1 failed\n"
    );
    assert!(!report.is_ok());
    assert_eq!((report.passed(), report.failed()), (1, 1));
}

#[test]
fn route_problems_render_one_per_line_with_the_route_first() {
    let problems = vec![
        RouteProblem::at("drain", "src/main.rs:7".into(), "lists queue `q` twice"),
        RouteProblem::worker("two routes are named `a`: a.rs:1 and b.rs:2"),
    ];
    assert_eq!(
        problems[0].to_string(),
        "route `drain` (src/main.rs:7): lists queue `q` twice"
    );
    assert_eq!(
        WorkerError::Routes(problems).to_string(),
        "route `drain` (src/main.rs:7): lists queue `q` twice\n\
         two routes are named `a`: a.rs:1 and b.rs:2"
    );
}

#[test]
fn only_accepts_known_backends() {
    assert!(
        parse_only("schedul")
            .unwrap_err()
            .contains("unknown backend `schedul`")
    );
    assert!(parse_only("").unwrap_err().contains("comma-separated"));
}

/// What this build has: every backend's feature decides whether `--only` takes it and
/// whether `--help` names it. CI runs these tests with each backend alone.
const COMPILED: [(&str, bool); 4] = [
    ("amqp", cfg!(feature = "amqp")),
    ("http", cfg!(feature = "http")),
    ("sse", cfg!(feature = "sse")),
    ("schedule", cfg!(feature = "schedule")),
];

#[test]
fn only_knows_the_compiled_in_backends_and_names_the_feature_of_the_others() {
    for (kind, compiled) in COMPILED {
        match parse_only(kind) {
            Ok(kinds) => {
                assert!(compiled, "--only {kind} accepted without the feature");
                assert_eq!(kinds, [kind]);
            }
            Err(e) => {
                assert!(!compiled, "--only {kind} refused with the feature: {e}");
                assert!(e.contains(&format!("enable the `{kind}` feature")), "{e}");
            }
        }
    }
}

#[test]
fn help_names_only_the_compiled_in_backends() {
    let help = super::cli::usage();
    let only_line = help.lines().next().unwrap();
    for (kind, compiled) in COMPILED {
        assert_eq!(
            only_line.contains(kind),
            compiled,
            "`{kind}` in the usage line: {only_line}"
        );
    }
}
