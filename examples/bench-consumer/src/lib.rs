//! What every bench consumer shares: the `bench` route's overrides from the environment, then
//! `run_with`, so that the binaries (here and in `examples/latency-bench`) differ only in the
//! body type and the work of their route, which each declares as `name = "bench"`.

use std::process::ExitCode;
use std::time::Duration;

use asyncworker::settings::RouteOverride;
use asyncworker::{MainOptions, Settings};

fn env_u16(name: &str) -> Option<u16> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Runs the worker with the `bench` route overridden from `BENCH_*`: `BENCH_QUEUE`,
/// `BENCH_BULK`, `BENCH_PREFETCH`, `BENCH_FLUSH_MS` (default 20) and `AMQP_URL`.
pub fn main() -> ExitCode {
    let mut options = MainOptions::DEFAULT;
    options.log = Some("warn");
    let mut settings = match Settings::from_env(&options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(url) = std::env::var("AMQP_URL") {
        settings.amqp_urls = vec![url];
    }
    // The built-in endpoints stay on (their cost is part of the measure) on any free port,
    // so runs never collide on 8080.
    settings.http_port = 0;
    let route = RouteOverride {
        queues: Some(vec![
            std::env::var("BENCH_QUEUE").unwrap_or_else(|_| "bench".into()),
        ]),
        bulk_size: env_u16("BENCH_BULK"),
        prefetch: env_u16("BENCH_PREFETCH"),
        bulk_flush: Some(Duration::from_millis(
            env_u16("BENCH_FLUSH_MS").map_or(20, u64::from),
        )),
        ..RouteOverride::default()
    };
    settings.routes.insert("bench".into(), route);
    asyncworker::run_with(settings)
}
