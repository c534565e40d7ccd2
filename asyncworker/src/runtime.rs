//! Lifecycle: registry, startup hooks, backends, signals, drain, shutdown hooks.

use std::fmt;
use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::amqp::AmqpBackend;
use crate::app::App;
use crate::registry::Registry;
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
}

impl Worker {
    /// A worker with these settings and every registered route and hook.
    pub fn new(settings: Settings) -> Worker {
        Worker {
            settings,
            module: None,
        }
    }

    /// Keeps only the routes and hooks defined in `module` or its submodules.
    pub fn only_module(mut self, module: &str) -> Worker {
        self.module = Some(module.to_owned());
        self
    }

    /// The `--routes` listing of this worker: every route with its resolved options and
    /// source location, then the hooks in the order they run.
    pub fn describe_routes(&self) -> Result<String, WorkerError> {
        let registry = Registry::collect(self.module.as_deref());
        registry.validate().map_err(WorkerError::Routes)?;
        let lookup = |k: &str| std::env::var(k).ok();
        let amqp = AmqpBackend::prepare(&registry.amqp, &self.settings, &lookup)
            .map_err(WorkerError::Routes)?;
        Ok(registry.describe(&amqp.describe()))
    }

    /// Runs until `stop` is cancelled (or a handler calls [`App::shutdown`]), then shuts down
    /// gracefully. Returns an error only if the worker could not start.
    pub async fn run(self, stop: CancellationToken) -> Result<(), WorkerError> {
        let registry = Registry::collect(self.module.as_deref());
        registry.validate().map_err(WorkerError::Routes)?;
        let lookup = |k: &str| std::env::var(k).ok();
        let amqp = AmqpBackend::prepare(&registry.amqp, &self.settings, &lookup)
            .map_err(WorkerError::Routes)?;
        for line in amqp.describe() {
            tracing::info!("route {line}");
        }
        let deadline = self.settings.shutdown_timeout;
        let app = App::new(self.settings);

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
        let missing: Vec<String> = amqp
            .required_state()
            .into_iter()
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
        let forward = tokio::spawn({
            let token = token.clone();
            async move {
                stop.cancelled().await;
                token.cancel();
            }
        });
        tracing::info!(routes = registry.route_count(), "worker started");
        amqp.run(app.clone(), token, deadline).await;
        forward.abort();
        run_shutdown_hooks(&registry, &app, deadline).await;
        tracing::info!("worker stopped");
        Ok(())
    }
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

const USAGE: &str = "usage: <worker> [--routes] [--help]

  --routes   print every registered route and hook with its source location, then exit
  --help     print this help

Settings come from ASYNCWORKER_* environment variables (see the asyncworker README).";

/// Entry point used by [`main!`](crate::main): parses flags, reads settings, installs
/// tracing, runs the worker on a multi-thread tokio runtime, and maps the outcome to an exit
/// code (0 clean stop, 1 failure, 2 bad usage).
#[doc(hidden)]
pub fn run_main(options: MainOptions) -> ExitCode {
    let mut list_routes = false;
    for arg in std::env::args().skip(1) {
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
    let settings = match Settings::from_env(&options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
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
