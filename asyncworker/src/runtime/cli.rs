//! The worker binary's command line: flags, the modes (run, `--routes`, `--check`, the documents
//! `--topology`, `--asyncapi` and `--openapi`), and their exit codes.

use std::fmt;
use std::future::Future;
use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Worker;
use super::logging::{Output, init_tracing};
use super::signal::watch_signals;
use crate::settings::{MainOptions, Settings};

/// The `--help` text; it names only the compiled-in backends.
pub(super) fn usage() -> String {
    let kinds = super::backends::kinds();
    let (list, names) = (kinds.join(","), kinds.join(", "));
    format!(
        "usage: <worker> [--only {list}] [--drain | --routes | --check] [--topology | --asyncapi | --openapi] [--help]

  --only LIST  run only these backends (comma-separated: {names}); hooks still run
  --drain      batch run: consume until every AMQP route's queues (retry queues included) are
               empty and nothing is in flight or in a bucket, then shut down gracefully and
               exit 0 (also ASYNCWORKER_DRAIN=true); SSE and scheduled routes are not started,
               the HTTP server runs meanwhile; exit 1 if a route cannot run (a missing queue)
  --routes     print every registered route and hook with its source location, then exit
  --check      run the startup hooks, then verify the settings, that every route would work
               (broker and queues, HTTP port, SSE servers, schedules) and the readiness
               checks, without consuming anything; then run the shutdown hooks; print one
               ok/FAIL line per item, exit 0 if all are ok, 1 otherwise
  --topology   print the queues, exchanges and bindings the AMQP routes declare or expect, as
               a RabbitMQ definitions document (rabbitmqctl import_definitions), then exit
  --asyncapi   print the AsyncAPI 3.0 document of the AMQP and SSE routes, then exit
  --openapi    print the OpenAPI 3.1 document of the HTTP routes (the one served at
               ASYNCWORKER_HTTP_OPENAPI_PATH), then exit
  --help       print this help

Settings come from ASYNCWORKER_* environment variables (see the asyncworker README)."
    )
}

/// Entry point used by [`main!`](crate::main): parses flags, reads settings, installs
/// tracing, runs the worker on a multi-thread tokio runtime, and maps the outcome to an exit
/// code (0 clean stop, 1 failure, 2 bad usage). `--check` exits 0 when every check passed.
#[doc(hidden)]
pub fn run_main(options: MainOptions) -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let mut settings = match Settings::from_env(&options) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    settings.only = args.only;
    // `ASYNCWORKER_DRAIN` shapes a run only: `--routes` and `--check` still see every route.
    settings.drain = matches!(args.mode, Mode::Run) && (args.drain || settings.drain);
    match args.mode {
        Mode::Run => run_with(settings),
        Mode::Routes => run_routes(settings),
        Mode::Check => run_check(settings),
        Mode::Topology => super::documents::run_topology(settings),
        Mode::AsyncApi => super::documents::run_asyncapi(settings),
        Mode::OpenApi => super::documents::run_openapi(settings),
    }
}

/// What the command line asks for.
struct Args {
    mode: Mode,
    /// `--only`: the backends to keep, if not all.
    only: Option<Vec<String>>,
    /// `--drain`: run until the queues are empty.
    drain: bool,
}

/// What the worker binary does.
enum Mode {
    /// Run until a signal.
    Run,
    /// `--routes`: list the routes and hooks.
    Routes,
    /// `--check`: verify every route without running it.
    Check,
    /// `--topology`: print the broker definitions the routes declare.
    Topology,
    /// `--asyncapi`: print the AsyncAPI document of the routes.
    AsyncApi,
    /// `--openapi`: print the OpenAPI document of the HTTP routes.
    OpenApi,
}

/// The flags, or the exit code to leave with at once: `--help` (0, the usage printed on
/// stdout) or bad usage (2, the error and the usage on stderr).
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, ExitCode> {
    let (mut modes, mut drain, mut only) = (Vec::new(), false, None);
    while let Some(arg) = args.next() {
        let only_value = match arg.as_str() {
            "--only" => Some(args.next().unwrap_or_default()),
            a => a.strip_prefix("--only=").map(str::to_owned),
        };
        if let Some(list) = only_value {
            only = Some(parse_only(&list).map_err(|e| usage_error(&e))?);
            continue;
        }
        match arg.as_str() {
            "--routes" => modes.push(("--routes", Mode::Routes)),
            "--check" => modes.push(("--check", Mode::Check)),
            "--topology" => modes.push(("--topology", Mode::Topology)),
            "--asyncapi" => modes.push(("--asyncapi", Mode::AsyncApi)),
            "--openapi" => modes.push(("--openapi", Mode::OpenApi)),
            "--drain" => drain = true,
            "--help" | "-h" => {
                println!("{}", usage());
                return Err(ExitCode::SUCCESS);
            }
            other => return Err(usage_error(&format!("unknown argument `{other}`"))),
        }
    }
    if drain && !modes.is_empty() {
        return Err(usage_error(
            "--drain runs the worker; it cannot be combined with --routes or --check (nor --topology, --asyncapi, --openapi)",
        ));
    }
    if let [(first, _), (second, _), ..] = modes.as_slice() {
        return Err(usage_error(&format!(
            "{first} and {second} cannot be combined"
        )));
    }
    let mode = modes.pop().map_or(Mode::Run, |(_, mode)| mode);
    Ok(Args { mode, only, drain })
}

/// `amqp,http` → the backend names, refusing unknown or empty ones.
pub(super) fn parse_only(list: &str) -> Result<Vec<String>, String> {
    let kinds: Vec<String> = list
        .split(',')
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    if kinds.is_empty() {
        return Err(format!(
            "--only needs a comma-separated list of backends: {}",
            super::backends::kinds().join(", ")
        ));
    }
    let compiled = super::backends::kinds();
    if let Some(bad) = kinds.iter().find(|k| !compiled.contains(&k.as_str())) {
        if super::backends::KNOWN.contains(&bad.as_str()) {
            return Err(format!(
                "the `{bad}` backend is not compiled into this worker (enable the `{bad}` feature of asyncworker); this one has: {}",
                compiled.join(", ")
            ));
        }
        return Err(format!(
            "unknown backend `{bad}` in --only; expected one of: {}",
            compiled.join(", ")
        ));
    }
    Ok(kinds)
}

/// Bad usage: the error and the usage on stderr, exit code 2.
pub(super) fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\n{}", usage());
    ExitCode::from(2)
}

/// The worker could not do what it was asked: the error on stderr, exit code 1.
pub(super) fn fail(error: &dyn fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

/// `--routes`: the listing on stdout. Nothing runs, so there is no runtime and no tracing.
fn run_routes(settings: Settings) -> ExitCode {
    match Worker::new(settings).describe_routes() {
        Ok(listing) => {
            print!("{listing}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

/// `--check`: a thin layer over [`Worker::check`] that prints the report on stdout (logs go to
/// stderr, so that stdout holds only the report) and maps it to the exit code.
fn run_check(settings: Settings) -> ExitCode {
    if settings.init_tracing {
        init_tracing(&settings, Output::Stderr);
    }
    let worker = Worker::new(settings);
    let report = match block_on(worker.check()) {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => return fail(&e),
        Err(code) => return code,
    };
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    // A closed stdout must not turn a passing check into a panic.
    let _ = write!(out, "{report}").and_then(|()| out.flush());
    if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs every registered route with settings built in code (for configuration that does not
/// come from `ASYNCWORKER_*` variables), until SIGINT/SIGTERM. What [`main!`](crate::main) runs
/// after parsing flags.
///
/// ```no_run
/// use asyncworker::settings::RouteOverride;
/// use asyncworker::{MainOptions, Settings};
/// # use asyncworker::prelude::*;
/// # #[route(amqp = ["q"], bulk_size = 10)] async fn drain(_m: Vec<Message<u8>>) {}
///
/// fn main() -> std::process::ExitCode {
///     let mut settings = Settings::from_env(&MainOptions::DEFAULT).expect("settings");
///     settings.routes.insert("drain".into(), RouteOverride {
///         bulk_size: Some(500),
///         ..RouteOverride::default()
///     });
///     asyncworker::run_with(settings)
/// }
/// ```
pub fn run_with(settings: Settings) -> ExitCode {
    if settings.init_tracing {
        init_tracing(&settings, Output::Stdout);
    }
    let result = block_on(async {
        let stop = CancellationToken::new();
        tokio::spawn(watch_signals(stop.clone()));
        Worker::new(settings).run(stop).await
    });
    // Outside the runtime: the exporter's blocking client must not run on it.
    #[cfg(feature = "otel")]
    crate::otel::shutdown();
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            tracing::error!("{e}");
            fail(&e)
        }
        Err(code) => code,
    }
}

/// Runs `work` on a multi-thread runtime, then gives the tasks still running one second:
/// handler tasks abandoned at the shutdown deadline, or a connect attempt of a check abandoned
/// at its own, must not hold the process open. `Err`: the runtime could not start (printed).
fn block_on<F: Future>(work: F) -> Result<F::Output, ExitCode> {
    let runtime = tokio_runtime()?;
    let output = runtime.block_on(work);
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(output)
}

/// The multi-thread runtime workers run on; the error is already printed.
fn tokio_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(&format!("cannot start the tokio runtime: {e}")))
}
