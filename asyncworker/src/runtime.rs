//! Lifecycle: registry, startup hooks, backends, signals, drain, shutdown hooks.

use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::backend::{Backend, CheckLine, Preparation};
use crate::registry::{Filter, NO_ROUTES, Registry, RouteDef};
use crate::settings::{LogFormat, MainOptions, Settings, SettingsError};

/// Why a worker could not start or stopped abnormally.
#[derive(Debug)]
#[non_exhaustive]
pub enum WorkerError {
    /// A setting had a bad value.
    Settings(SettingsError),
    /// The registered routes cannot run as they are (none, clashes, bad connection settings):
    /// every problem found, not just the first.
    Routes(Vec<RouteProblem>),
    /// A startup hook failed; nothing was consumed.
    Startup {
        /// The hook's name.
        hook: &'static str,
        /// Where it is defined.
        location: String,
        /// What it returned.
        error: crate::handler::BoxError,
    },
    /// Routes need state that no startup hook inserted: one problem per route and type.
    MissingState(Vec<RouteProblem>),
    /// A backend failed while running (e.g. the HTTP port was taken).
    Backend(String),
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::Settings(e) => write!(f, "{e}"),
            WorkerError::Routes(problems) | WorkerError::MissingState(problems) => {
                write_lines(f, problems)
            }
            WorkerError::Startup {
                hook,
                location,
                error,
            } => write!(f, "startup hook `{hook}` ({location}) failed: {error}"),
            WorkerError::Backend(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for WorkerError {}

/// One problem per line, in the order they were found.
fn write_lines(f: &mut fmt::Formatter<'_>, problems: &[RouteProblem]) -> fmt::Result {
    for (i, problem) in problems.iter().enumerate() {
        if i > 0 {
            f.write_str("\n")?;
        }
        write!(f, "{problem}")?;
    }
    Ok(())
}

/// One reason the registered routes cannot run, found before anything starts.
///
/// Its `Display` is the line a worker prints: `` route `name` (file:line): message `` for a
/// problem of one route, the message alone otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RouteProblem {
    /// The route at fault; `None` for a problem that is not one route's: no route at all, a
    /// bad connection setting, or two routes that clash (the message names both).
    pub route: Option<&'static str>,
    /// `file:line` of the route's handler, when there is one route at fault.
    pub location: Option<String>,
    /// What is wrong, and how to fix it.
    pub message: String,
}

impl RouteProblem {
    /// A problem of the route registered as `def`.
    pub(crate) fn of(def: &impl RouteDef, message: impl Into<String>) -> RouteProblem {
        RouteProblem::at(def.name(), def.location(), message)
    }

    /// A problem of the route `route`, defined at `location`.
    pub(crate) fn at(
        route: &'static str,
        location: String,
        message: impl Into<String>,
    ) -> RouteProblem {
        RouteProblem {
            route: Some(route),
            location: Some(location),
            message: message.into(),
        }
    }

    /// A problem of the worker as a whole, not of one route.
    pub(crate) fn worker(message: impl Into<String>) -> RouteProblem {
        RouteProblem {
            route: None,
            location: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RouteProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.route, &self.location) {
            (Some(route), Some(at)) => write!(f, "route `{route}` ({at}): {}", self.message),
            (Some(route), None) => write!(f, "route `{route}`: {}", self.message),
            (None, _) => f.write_str(&self.message),
        }
    }
}

/// A worker built from the registered routes and hooks; what `main!` runs.
///
/// Run it yourself to embed a worker in a larger program or drive it from a test:
///
/// ```no_run
/// use asyncworker::{Settings, Worker};
/// use tokio_util::sync::CancellationToken;
/// # async fn demo() -> Result<(), asyncworker::WorkerError> {
/// let stop = CancellationToken::new();
/// // only the routes and hooks of this module (and its children)
/// Worker::new(Settings::default()).only_module(module_path!()).run(stop).await
/// # }
/// ```
#[derive(Debug)]
pub struct Worker {
    settings: Settings,
    module: Option<String>,
    app: App,
}

impl Worker {
    /// A worker with these settings and every registered route and hook.
    pub fn new(settings: Settings) -> Worker {
        Worker {
            app: App::new(settings.clone()),
            settings,
            module: None,
        }
    }

    /// The handle the worker will run with: read [`App::http_addr`] or [`App::health`] of a
    /// worker started with [`Worker::run`], e.g. in tests.
    pub fn app(&self) -> App {
        self.app.clone()
    }

    /// Keeps only the routes and hooks defined in `module` or its submodules.
    pub fn only_module(mut self, module: &str) -> Worker {
        self.module = Some(module.to_owned());
        self
    }

    /// The `--routes` listing of this worker: every route with its resolved options and
    /// source location, then the hooks in the order they run.
    pub fn describe_routes(&self) -> Result<String, WorkerError> {
        let filter = Filter::module(self.module.as_deref());
        let registry = Registry::collect(&filter);
        let app = App::new(self.settings.clone());
        let backends = prepare_backends(&filter, &app)?;
        let lines: Vec<String> = backends.iter().flat_map(|b| b.describe()).collect();
        Ok(registry.describe(&lines))
    }

    /// What `--check` does: reads the routes against the settings (an error here is what
    /// starting would report), then asks every backend to verify, without consuming or serving
    /// anything, that its routes would work: the broker answers and the queues exist, the HTTP
    /// port can be bound, the SSE servers accept connections, the schedules have a next fire
    /// time. Startup hooks do not run. Backends are checked concurrently and the whole check is
    /// bounded (30 s); a backend that has not answered by then gets a failed item saying so.
    ///
    /// ```no_run
    /// use asyncworker::{Settings, Worker};
    /// # async fn demo() -> Result<(), asyncworker::WorkerError> {
    /// let report = Worker::new(Settings::default()).check().await?;
    /// for item in report.items() {
    ///     println!("{} {}", if item.ok { "ok  " } else { "FAIL" }, item.line);
    /// }
    /// // or, as `--check` prints it, with the summary line:
    /// print!("{report}");
    /// assert!(report.is_ok(), "{} of the checks failed", report.failed());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn check(&self) -> Result<CheckReport, WorkerError> {
        let filter = Filter::module(self.module.as_deref());
        // A fresh handle, as for `--routes`: preparing registers readiness parts, which must
        // not linger on the handle a later `run` uses.
        let app = App::new(self.settings.clone());
        let backends = prepare_backends(&filter, &app)?;
        let items = run_checks(&backends, &app, CHECK_TIMEOUT).await;
        // Whatever a backend's check started on the handle (a connection's background task)
        // is told to stop; the check is over.
        app.shutdown();
        Ok(CheckReport { items })
    }

    /// Runs until `stop` is cancelled (or a handler calls [`App::shutdown`]), then shuts down
    /// gracefully. Returns an error if the worker could not start or a backend failed.
    pub async fn run(self, stop: CancellationToken) -> Result<(), WorkerError> {
        let filter = Filter::module(self.module.as_deref());
        let registry = Registry::collect(&filter);
        let deadline = self.settings.shutdown_timeout;
        let app = self.app;
        let backends = prepare_backends(&filter, &app)?;
        for line in backends.iter().flat_map(|b| b.describe()) {
            tracing::info!("route {line}");
        }

        for hook in &registry.startup {
            tracing::debug!(hook = hook.name, "running startup hook");
            if let Err(error) = (hook.run)(&app).await {
                let err = WorkerError::Startup {
                    hook: hook.name,
                    location: hook.location(),
                    error,
                };
                // Hooks that already ran may hold resources: give them their shutdown hooks.
                run_shutdown_hooks(&registry, &app, deadline).await;
                return Err(err);
            }
        }
        app.freeze();
        let missing: Vec<RouteProblem> = backends
            .iter()
            .flat_map(|b| b.required_state())
            .filter(|(_, _, req)| !app.has_state(req.id))
            .map(|(route, location, req)| {
                RouteProblem::at(route, location, format!(
                    "takes `State<{0}>`, but no #[on_startup] hook inserted a `{0}`; call `app.insert(...)` in a startup hook",
                    req.type_name
                ))
            })
            .collect();
        if !missing.is_empty() {
            run_shutdown_hooks(&registry, &app, deadline).await;
            return Err(WorkerError::MissingState(missing));
        }

        let token = app.shutdown_token().clone();
        let mut running = tokio::task::JoinSet::new();
        for backend in backends {
            let kind = backend.kind();
            let fut = backend.run(app.clone(), token.clone(), deadline);
            running.spawn(async move { (kind, fut.await) });
        }
        app.health().set_started(true);
        crate::notify::notify("READY=1");
        tracing::info!("worker started");
        let mut failure = None;
        tokio::select! {
            () = stop.cancelled() => {}
            () = token.cancelled() => {}
            Some(ended) = running.join_next() => {
                failure = Some(match ended {
                    Ok((kind, Ok(()))) => format!("the {kind} backend stopped on its own"),
                    Ok((kind, Err(e))) => format!("the {kind} backend failed: {e}"),
                    Err(e) => format!("a backend panicked: {e}"),
                });
            }
        }
        if let Some(f) = &failure {
            tracing::error!("{f}; shutting down");
        }
        app.health().set_started(false);
        crate::notify::notify("STOPPING=1");
        token.cancel();
        while let Some(ended) = running.join_next().await {
            if let Ok((kind, Err(e))) = ended {
                tracing::error!("the {kind} backend failed while stopping: {e}");
            }
        }
        run_shutdown_hooks(&registry, &app, deadline).await;
        // Last: shutdown hooks may still publish.
        app.close_resources().await;
        tracing::info!("worker stopped");
        match failure {
            Some(f) => Err(WorkerError::Backend(f)),
            None => Ok(()),
        }
    }
}

/// How long `--check` waits for the backends, all together.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// Every backend's check, run concurrently under one deadline; a backend that has not
/// answered by then is one failed item, so that an unreachable service cannot hang `--check`.
async fn run_checks(backends: &[Box<dyn Backend>], app: &App, limit: Duration) -> Vec<CheckItem> {
    let deadline = tokio::time::Instant::now() + limit;
    let checks = backends.iter().map(|backend| async move {
        let kind = backend.kind();
        match tokio::time::timeout_at(deadline, backend.check(app)).await {
            Ok(lines) => lines
                .into_iter()
                .map(|CheckLine { ok, line }| CheckItem { kind, ok, line })
                .collect(),
            Err(_) => vec![CheckItem {
                kind,
                ok: false,
                line: format!("{kind}: no answer within {limit:?}; the check was abandoned"),
            }],
        }
    });
    futures_util::future::join_all(checks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// What [`Worker::check`] found: one item per route or part of a backend, in the order
/// amqp, http, sse, schedule.
///
/// Its `Display` is what `--check` prints: one `ok   <line>` or `FAIL <line>` per item, then
/// `check: N ok, M failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    items: Vec<CheckItem>,
}

impl CheckReport {
    /// Every item, in order.
    pub fn items(&self) -> &[CheckItem] {
        &self.items
    }

    /// Whether every item is ok.
    pub fn is_ok(&self) -> bool {
        self.items.iter().all(|i| i.ok)
    }

    /// How many items are ok.
    pub fn passed(&self) -> usize {
        self.items.iter().filter(|i| i.ok).count()
    }

    /// How many items failed.
    pub fn failed(&self) -> usize {
        self.items.len() - self.passed()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            writeln!(f, "{item}")?;
        }
        writeln!(f, "check: {} ok, {} failed", self.passed(), self.failed())
    }
}

/// One verified part of a worker: a route, or a backend as a whole (the HTTP server).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckItem {
    /// The backend: `"amqp"`, `"http"`, `"sse"` or `"schedule"`.
    pub kind: &'static str,
    /// Whether this part would work.
    pub ok: bool,
    /// What was checked and found, e.g. `http server: 127.0.0.1:8080 can be bound (2 routes)`.
    pub line: String,
}

impl fmt::Display for CheckItem {
    /// `ok   <line>` or `FAIL <line>`: the status words are padded to one width so that the
    /// lines align.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.ok { "ok  " } else { "FAIL" };
        write!(f, "{status} {}", self.line)
    }
}

/// Every backend with routes in `filter`; refuses a worker with no route at all.
fn prepare_backends(filter: &Filter, app: &App) -> Result<Vec<Box<dyn Backend>>, WorkerError> {
    let lookup = |k: &str| std::env::var(k).ok();
    let mut problems = Vec::new();
    let mut backends = Vec::new();
    type Prepare = fn(&Filter, &App, &dyn Fn(&str) -> Option<String>) -> Preparation;
    // The compiled-in backends, in the order they are prepared, checked and listed.
    let all: &[(&str, Prepare)] = &[
        #[cfg(feature = "amqp")]
        ("amqp", crate::amqp::AmqpBackend::prepare),
        #[cfg(feature = "http")]
        ("http", crate::http::prepare),
        #[cfg(feature = "sse")]
        ("sse", crate::sse::prepare),
        #[cfg(feature = "schedule")]
        ("schedule", crate::schedule::prepare),
    ];
    let only = app.settings().only.clone();
    for &(kind, prepare) in all {
        // A backend left out is not even prepared: it registers no readiness part, opens
        // nothing and is not listed.
        if only.as_ref().is_some_and(|o| !o.iter().any(|k| k == kind)) {
            continue;
        }
        match prepare(filter, app, &lookup) {
            Ok(Some(b)) => backends.push(b),
            Ok(None) => {}
            Err(mut found) => problems.append(&mut found),
        }
    }
    if !problems.is_empty() {
        return Err(WorkerError::Routes(problems));
    }
    if backends.iter().all(|b| b.describe().is_empty()) {
        return Err(WorkerError::Routes(vec![RouteProblem::worker(NO_ROUTES)]));
    }
    Ok(backends)
}

async fn run_shutdown_hooks(registry: &Registry, app: &App, deadline: Duration) {
    let all = async {
        for hook in &registry.shutdown {
            if let Err(error) = (hook.run)(app).await {
                tracing::error!(hook = hook.name, location = %hook.location(), %error, "shutdown hook failed");
            }
        }
    };
    if tokio::time::timeout(deadline, all).await.is_err() {
        tracing::error!(deadline = ?deadline, "shutdown hooks did not finish within the deadline");
    }
}

/// Backend names `--only` accepts: the compiled-in ones.
const BACKENDS: &[&str] = &[
    #[cfg(feature = "amqp")]
    "amqp",
    #[cfg(feature = "http")]
    "http",
    #[cfg(feature = "sse")]
    "sse",
    #[cfg(feature = "schedule")]
    "schedule",
];

/// The `--help` text; it lists only the compiled-in backends.
fn usage() -> String {
    let (list, names) = (BACKENDS.join(","), BACKENDS.join(", "));
    format!(
        "usage: <worker> [--only {list}] [--routes | --check] [--help]

  --only LIST  run only these backends (comma-separated: {names}); hooks still run
  --routes     print every registered route and hook with its source location, then exit
  --check      verify the settings and that every route would work (broker and queues, HTTP
               port, SSE servers, schedules) without running hooks or consuming anything;
               print one ok/FAIL line per item, exit 0 if all are ok, 1 otherwise
  --help       print this help

Settings come from ASYNCWORKER_* environment variables (see the asyncworker README)."
    )
}

/// Entry point used by [`main!`](crate::main): parses flags, reads settings, installs
/// tracing, runs the worker on a multi-thread tokio runtime, and maps the outcome to an exit
/// code (0 clean stop, 1 failure, 2 bad usage). `--check` exits 0 when every check passed.
#[doc(hidden)]
pub fn run_main(options: MainOptions) -> ExitCode {
    let mut list_routes = false;
    let mut check = false;
    let mut only: Option<Vec<String>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let only_value = match arg.as_str() {
            "--only" => Some(args.next().unwrap_or_default()),
            a => a.strip_prefix("--only=").map(str::to_owned),
        };
        if let Some(list) = only_value {
            match parse_only(&list) {
                Ok(kinds) => only = Some(kinds),
                Err(e) => {
                    eprintln!("error: {e}\n\n{}", usage());
                    return ExitCode::from(2);
                }
            }
            continue;
        }
        match arg.as_str() {
            "--routes" => list_routes = true,
            "--check" => check = true,
            "--help" | "-h" => {
                println!("{}", usage());
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("error: unknown argument `{other}`\n\n{}", usage());
                return ExitCode::from(2);
            }
        }
    }
    if list_routes && check {
        eprintln!(
            "error: --routes and --check cannot be combined\n\n{}",
            usage()
        );
        return ExitCode::from(2);
    }
    let mut settings = match Settings::from_env(&options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    settings.only = only;
    if list_routes {
        return match Worker::new(settings).describe_routes() {
            Ok(listing) => {
                print!("{listing}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if check {
        return run_check(settings);
    }
    run_with(settings)
}

/// `--check`: a thin layer over [`Worker::check`] that prints the report on stdout (logs go to
/// stderr, so that stdout holds only the report) and maps it to the exit code.
fn run_check(settings: Settings) -> ExitCode {
    if settings.init_tracing {
        init_tracing(&settings, Output::Stderr);
    }
    let runtime = match tokio_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = runtime.block_on(Worker::new(settings).check());
    // A check that was abandoned at its deadline may have left a connect attempt running.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(report) => {
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
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `amqp,http` → the backend names, refusing unknown or empty ones.
fn parse_only(list: &str) -> Result<Vec<String>, String> {
    let kinds: Vec<String> = list
        .split(',')
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    if kinds.is_empty() {
        return Err(format!(
            "--only needs a comma-separated list of backends: {}",
            BACKENDS.join(", ")
        ));
    }
    if let Some(bad) = kinds.iter().find(|k| !BACKENDS.contains(&k.as_str())) {
        return Err(format!(
            "unknown backend `{bad}` in --only; expected one of: {}",
            BACKENDS.join(", ")
        ));
    }
    Ok(kinds)
}

/// Runs every registered route with settings built in code (for configuration that does not
/// come from `ASYNCWORKER_*` variables), until SIGINT/SIGTERM. What [`main!`](crate::main) runs
/// after parsing flags.
///
/// ```no_run
/// use asyncworker::{MainOptions, RouteOverride, Settings};
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
    let runtime = match tokio_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result = runtime.block_on(async {
        let stop = CancellationToken::new();
        tokio::spawn(watch_signals(stop.clone()));
        Worker::new(settings).run(stop).await
    });
    // Handler tasks abandoned at the deadline must not hold the process open.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The multi-thread runtime workers run on; the error is already printed.
fn tokio_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the tokio runtime: {e}");
            ExitCode::FAILURE
        })
}

/// First SIGINT/SIGTERM: graceful shutdown. Second: exit at once.
async fn watch_signals(stop: CancellationToken) {
    // The listeners are installed once, so a second signal arriving right after the first
    // is not lost between two registrations.
    let mut signals = Signals::install();
    signals.recv().await;
    tracing::info!("signal received: shutting down gracefully (send it again to exit at once)");
    stop.cancel();
    signals.recv().await;
    tracing::warn!("second signal: exiting now; unacked messages will be redelivered");
    std::process::exit(130);
}

#[cfg(unix)]
struct Signals {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn recv(&mut self) {
        async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        if self.int.is_none() && self.term.is_none() {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
        tokio::select! {
            () = next(&mut self.int) => {}
            () = next(&mut self.term) => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Signals {
        Signals
    }

    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Where the logs go.
#[derive(Clone, Copy)]
enum Output {
    Stdout,
    /// `--check`: its report owns stdout.
    Stderr,
}

fn init_tracing(settings: &Settings, output: Output) {
    use tracing_subscriber::EnvFilter;
    let filter = settings
        .log
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // try_init: a subscriber the user installed first is kept.
    let _ = match (settings.log_format, output) {
        (LogFormat::Json, Output::Stdout) => builder.json().try_init(),
        (LogFormat::Pretty, Output::Stdout) => builder.try_init(),
        (LogFormat::Json, Output::Stderr) => builder.json().with_writer(std::io::stderr).try_init(),
        (LogFormat::Pretty, Output::Stderr) => builder.with_writer(std::io::stderr).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::Pin;
    use std::time::Duration;

    use tokio_util::sync::CancellationToken;

    use super::{CheckItem, RouteProblem, WorkerError, parse_only, run_checks};
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
        let report = super::CheckReport {
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
        assert_eq!(parse_only("amqp, http").unwrap(), ["amqp", "http"]);
        assert!(
            parse_only("amqp,schedul")
                .unwrap_err()
                .contains("`schedul`")
        );
        assert!(parse_only("").unwrap_err().contains("comma-separated"));
    }
}
