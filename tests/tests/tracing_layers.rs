//! `main!(tracing_layers = ...)`: a user layer beside our logs sees our error events, and the
//! JSON log output is the same with the layer as without it (`aw_layers`).

use std::time::{Duration, Instant};

use asyncworker_tests::Proc;

/// Runs `aw_layers` (with its counting layer if `layer`) until it has logged `errors` failed
/// runs, stops it with SIGTERM, and returns its stdout and stderr once it has exited.
async fn run(layer: bool, errors: usize) -> (Vec<String>, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_layers"));
    cmd.env("ASYNCWORKER_LOG", "info")
        .env("AW_LAYER", if layer { "on" } else { "off" });
    let mut proc = Proc::spawn(cmd);
    let start = Instant::now();
    while error_lines(&proc.stdout()) < errors {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "aw_layers did not log {errors} errors; stdout: {:?}; stderr: {}",
            proc.stdout(),
            proc.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proc.signal("TERM");
    let status = proc.wait(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
    (proc.stdout(), proc.stderr())
}

/// Each stdout line as JSON without its timestamp (the only field that differs between runs).
fn normalized(stdout: &[String]) -> Vec<serde_json::Value> {
    stdout
        .iter()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
            v.as_object_mut().expect("an object").remove("timestamp");
            // A scheduled run's key names its instant, which differs from run to run.
            if let Some(fields) = v["fields"].as_object_mut() {
                fields.remove("run");
            }
            v
        })
        .collect()
}

fn error_lines(stdout: &[String]) -> usize {
    normalized(stdout)
        .iter()
        .filter(|v| v["level"] == "ERROR")
        .count()
}

#[tokio::test]
async fn a_user_layer_counts_our_error_events_and_the_json_logs_stay_the_same() {
    let (with, stderr) = run(true, 3).await;
    let (without, plain_stderr) = run(false, 3).await;

    // The layer saw every error event the logs show, and only those.
    let logged = error_lines(&with);
    let counted = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("LAYER ERRORS "))
        .count();
    assert!(logged >= 3);
    assert_eq!(counted, logged, "stdout: {with:?}; stderr: {stderr}");
    assert!(!plain_stderr.contains("LAYER ERRORS"), "{plain_stderr}");

    // The same log lines, in the same shape, with and without the layer: the startup and
    // shutdown lines one for one, and every failed run alike.
    let (with, without) = (normalized(&with), normalized(&without));
    let split = |lines: &[serde_json::Value]| -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
        lines.iter().cloned().partition(|v| v["level"] == "ERROR")
    };
    let ((errors, others), (plain_errors, plain_others)) = (split(&with), split(&without));
    assert_eq!(others, plain_others);
    assert_eq!(
        errors[0]["fields"]["message"], "scheduled run failed",
        "{errors:?}"
    );
    assert!(
        errors.iter().chain(&plain_errors).all(|e| *e == errors[0]),
        "{errors:?} {plain_errors:?}"
    );
}
