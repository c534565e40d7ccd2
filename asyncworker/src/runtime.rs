//! Lifecycle: registry, startup hooks, backends, signals, drain, shutdown hooks.

use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::backend::Backend;
use crate::registry::{Filter, NO_ROUTES, Registry};
use crate::settings::{LogFormat, MainOptions, Settings, SettingsError};

/// Why a worker could not start or stopped abnormally.
#[derive(Debug)]
#[non_exhaustive]
pub enum WorkerError {
    /// A setting had a bad value.
    Settings(SettingsError),
    /// The registered routes cannot run as they are (none, clashes, bad connection settings).
    Routes(String),
    /// A startup hook failed; nothing was consumed.
    Startup {
        /// The hook's name.
        hook: &'static str,
        /// Where it is defined.
        location: String,
        /// What it returned.
        error: crate::handler::BoxError,
    },
    /// Routes need state that no startup hook inserted.
    MissingState(Vec<String>),
    /// A backend failed while running (e.g. the HTTP port was taken).
    Backend(String),
}

impl fmt::Display for WorkerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkerError::Settings(e) => write!(f, "{e}"),
            WorkerError::Routes(e) => write!(f, "{e}"),
            WorkerError::Startup {
                hook,
                location,
                error,
            } => write!(f, "startup hook `{hook}` ({location}) failed: {error}"),
            WorkerError::MissingState(lines) => write!(f, "{}", lines.join("\n")),
            WorkerError::Backend(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for WorkerError {}

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
        let missing: Vec<String> = backends
            .iter()
            .flat_map(|b| b.required_state())
            .filter(|(_, _, req)| !app.has_state(req.id))
            .map(|(route, location, req)| {
                format!(
                    "route `{route}` ({location}) takes `State<{0}>`, but no #[on_startup] hook inserted a `{0}`; call `app.insert(...)` in a startup hook",
                    req.type_name
                )
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
        tracing::info!("worker stopped");
        match failure {
            Some(f) => Err(WorkerError::Backend(f)),
            None => Ok(()),
        }
    }
}

/// Every backend with routes in `filter`; refuses a worker with no route at all.
fn prepare_backends(filter: &Filter, app: &App) -> Result<Vec<Box<dyn Backend>>, WorkerError> {
    let lookup = |k: &str| std::env::var(k).ok();
    let mut problems = Vec::new();
    let mut backends = Vec::new();
    type Prepare = fn(
        &Filter,
        &App,
        &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Box<dyn Backend>>, String>;
    let all: [(&str, Prepare); 4] = [
        ("amqp", crate::amqp::AmqpBackend::prepare),
        ("http", crate::http::prepare),
        ("sse", crate::sse::prepare),
        ("schedule", crate::schedule::prepare),
    ];
    let only = app.settings().only.clone();
    for (kind, prepare) in all {
        // A backend left out is not even prepared: it registers no readiness part, opens
        // nothing and is not listed.
        if only.as_ref().is_some_and(|o| !o.iter().any(|k| k == kind)) {
            continue;
        }
        match prepare(filter, app, &lookup) {
            Ok(Some(b)) => backends.push(b),
            Ok(None) => {}
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(WorkerError::Routes(problems.join("\n")));
    }
    if backends.iter().all(|b| b.describe().is_empty()) {
        return Err(WorkerError::Routes(NO_ROUTES.to_owned()));
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

/// Backend names `--only` accepts.
const BACKENDS: &[&str] = &["amqp", "http", "sse", "schedule"];

const USAGE: &str = "usage: <worker> [--only amqp,http,sse,schedule] [--routes] [--help]

  --only LIST  run only these backends (comma-separated: amqp, http, sse, schedule); hooks still run
  --routes     print every registered route and hook with its source location, then exit
  --help       print this help

Settings come from ASYNCWORKER_* environment variables (see the asyncworker README).";

/// Entry point used by [`main!`](crate::main): parses flags, reads settings, installs
/// tracing, runs the worker on a multi-thread tokio runtime, and maps the outcome to an exit
/// code (0 clean stop, 1 failure, 2 bad usage).
#[doc(hidden)]
pub fn run_main(options: MainOptions) -> ExitCode {
    let mut list_routes = false;
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
                    eprintln!("error: {e}\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            }
            continue;
        }
        match arg.as_str() {
            "--routes" => list_routes = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("error: unknown argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
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
    run_with(settings)
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
        init_tracing(&settings);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
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

fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = settings
        .log
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // try_init: a subscriber the user installed first is kept.
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::parse_only;

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
