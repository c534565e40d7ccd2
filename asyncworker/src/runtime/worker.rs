//! A worker's lifecycle: prepare the backends, run the startup hooks, check the state, run
//! the backends until stopped, drain, run the shutdown hooks.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::check::{self, CheckReport};
use super::drain;
use super::error::WorkerError;
use crate::app::App;
use crate::backend::{Backend, DrainProbe, StateNeed};
use crate::hooks::Hooks;
use crate::registry::RouteProblem;
use crate::registry::{Filter, NO_ROUTES};
use crate::settings::Settings;

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
        let registry = Hooks::collect(&filter);
        let app = App::new(self.settings.clone());
        let backends = prepare_backends(&filter, &app)?;
        let lines: Vec<String> = backends.iter().flat_map(|b| b.describe()).collect();
        Ok(registry.describe(&lines))
    }

    /// The backends as `--topology` and `--asyncapi` see them: prepared from the registry
    /// and the settings (an error here is what starting would report), nothing started.
    pub(crate) fn prepared(&self) -> Result<Vec<Box<dyn Backend>>, WorkerError> {
        let filter = Filter::module(self.module.as_deref());
        prepare_backends(&filter, &App::new(self.settings.clone()))
    }

    /// What `--check` does: reads the routes against the settings (an error here is what
    /// starting would report), runs the startup hooks as a start would (they can tell with
    /// [`App::is_check`] and skip their side effects), then asks every backend to verify,
    /// without consuming or serving anything, that its routes would work: the broker answers
    /// and the queues exist, the HTTP port can be bound, the SSE servers accept connections,
    /// the schedules have a next fire time; and runs every readiness check the hooks
    /// registered ([`Health::check`](crate::observe::Health::check)), one item each. Backends and
    /// checks run concurrently and the whole check is bounded (30 s); a backend that has not
    /// answered by then gets a failed item saying so. Then the shutdown hooks run. A failing
    /// startup hook is a failed item naming it; the hooks after it do not run.
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
        let registry = Hooks::collect(&filter);
        // A fresh handle, as for `--routes`: preparing registers readiness parts, and the
        // hooks insert state and checks, none of which may linger on the handle a later
        // `run` uses.
        let app = App::new(self.settings.clone());
        app.set_check();
        let backends = prepare_backends(&filter, &app)?;
        let report = check::report(&registry, &backends, &app).await;
        // Whatever a backend's check or a hook started on the handle (a connection's
        // background task) is told to stop; the check is over. Then, as after a run, the
        // publishers the hooks may have opened are closed (bounded: a check must end).
        app.shutdown();
        let deadline = self.settings.shutdown_timeout;
        if tokio::time::timeout(deadline, app.close_resources())
            .await
            .is_err()
        {
            tracing::warn!(deadline = ?deadline, "--check: closing the publishers took too long");
        }
        Ok(report)
    }

    /// Runs until `stop` is cancelled (or a handler calls [`App::shutdown`]), then shuts down
    /// gracefully. Returns an error if the worker could not start or a backend failed.
    ///
    /// With [`Settings::drain`] (`--drain`) it also stops, the same way, once every AMQP
    /// route's queues are empty and nothing is in flight; SSE and scheduled routes are not
    /// started, and a worker without AMQP routes is an error.
    pub async fn run(self, stop: CancellationToken) -> Result<(), WorkerError> {
        let filter = Filter::module(self.module.as_deref());
        let registry = Hooks::collect(&filter);
        let deadline = self.settings.shutdown_timeout;
        let app = self.app;
        let backends = prepare_backends(&filter, &app)?;
        let probes = match self.settings.drain {
            true => Some(drain::probes(&backends)?),
            false => None,
        };
        for line in backends.iter().flat_map(|b| b.describe()) {
            tracing::info!("route {line}");
        }
        // Taken now: the backends are not `Sync`, so they cannot be borrowed across the hooks.
        let needs: Vec<StateNeed> = backends.iter().flat_map(|b| b.required_state()).collect();
        if let Err(e) = start(&registry, &app, needs).await {
            // Hooks that already ran may hold resources: give them their shutdown hooks.
            run_shutdown_hooks(&registry, &app, deadline).await;
            return Err(e);
        }
        let failure = run_backends(backends, probes, &app, &stop, deadline).await;
        finish(&registry, &app, deadline).await;
        failure.map_or(Ok(()), |f| Err(WorkerError::Backend(f)))
    }
}

/// Runs the startup hooks in order, then freezes the state and verifies that every route
/// finds the state it takes (`needs`); the first failure stops it.
pub(crate) async fn start(
    registry: &Hooks,
    app: &App,
    needs: Vec<StateNeed>,
) -> Result<(), WorkerError> {
    for hook in &registry.startup {
        tracing::debug!(hook = hook.name, "running startup hook");
        if let Err(error) = (hook.run)(app).await {
            return Err(WorkerError::Startup {
                hook: hook.name,
                location: hook.location(),
                error,
            });
        }
    }
    app.freeze();
    let missing = missing_state(needs, app);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(WorkerError::MissingState(missing))
    }
}

/// One problem per route and state type it takes that no startup hook inserted.
fn missing_state(needs: Vec<StateNeed>, app: &App) -> Vec<RouteProblem> {
    needs
        .into_iter()
        .filter(|(_, _, req)| !app.has_state(req.id))
        .map(|(route, location, req)| {
            RouteProblem::at(
                route,
                location,
                format!(
                    "takes `State<{0}>`, but no #[on_startup] hook inserted a `{0}`; call `app.insert(...)` in a startup hook",
                    req.type_name
                ),
            )
        })
        .collect()
}

/// What [`tokio::task::JoinSet`] gives back for one backend: its kind and how its run ended.
type Ended = (&'static str, Result<(), String>);

/// Runs every backend until `stop`, [`App::shutdown`], the first backend that ends on its
/// own, or (with `probes`, under `--drain`) the end of the work; then stops them all and waits
/// for them to drain. Returns why a backend ended, or why the drain cannot finish, if so: that
/// is a failure of the whole worker.
async fn run_backends(
    backends: Vec<Box<dyn Backend>>,
    probes: Option<Vec<Box<dyn DrainProbe>>>,
    app: &App,
    stop: &CancellationToken,
    deadline: Duration,
) -> Option<String> {
    let token = app.shutdown_token().clone();
    let mut running = JoinSet::new();
    for backend in backends {
        let kind = backend.kind();
        let fut = backend.run(app.clone(), token.clone(), deadline);
        running.spawn(async move { (kind, fut.await) });
    }
    app.health().set_started(true);
    crate::observe::notify::notify("READY=1");
    tracing::info!("worker started");
    let failure = first_end(&mut running, probes, stop, &token).await;
    if let Some(f) = &failure {
        tracing::error!("{f}; shutting down");
    }
    app.health().set_started(false);
    crate::observe::notify::notify("STOPPING=1");
    token.cancel();
    while let Some(ended) = running.join_next().await {
        if let Ok((kind, Err(e))) = ended {
            tracing::error!("the {kind} backend failed while stopping: {e}");
        }
    }
    failure
}

/// Waits for `stop`, the app's own shutdown, the end of a drain, or a backend that ends
/// first; a backend that ends and a drain that cannot finish are failures, described.
async fn first_end(
    running: &mut JoinSet<Ended>,
    probes: Option<Vec<Box<dyn DrainProbe>>>,
    stop: &CancellationToken,
    token: &CancellationToken,
) -> Option<String> {
    let drained = async {
        match probes {
            Some(probes) => drain::until_drained(probes).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = stop.cancelled() => None,
        () = token.cancelled() => None,
        result = drained => result.err().map(|e| format!("--drain cannot finish: {e}")),
        Some(ended) = running.join_next() => Some(match ended {
            Ok((kind, Ok(()))) => format!("the {kind} backend stopped on its own"),
            Ok((kind, Err(e))) => format!("the {kind} backend failed: {e}"),
            Err(e) => format!("a backend panicked: {e}"),
        }),
    }
}

/// After the backends have drained: the shutdown hooks, then the publishers' connections.
pub(crate) async fn finish(registry: &Hooks, app: &App, deadline: Duration) {
    run_shutdown_hooks(registry, app, deadline).await;
    // Last: shutdown hooks may still publish.
    app.close_resources().await;
    tracing::info!("worker stopped");
}

/// Every backend with routes in `filter`; refuses a worker with no route at all.
fn prepare_backends(filter: &Filter, app: &App) -> Result<Vec<Box<dyn Backend>>, WorkerError> {
    let lookup = |k: &str| std::env::var(k).ok();
    let backends = prepare_each(filter, app, &lookup)?;
    // Under `--drain`, a worker left with no route gets the drain's own, clearer error.
    if !app.settings().drain && backends.iter().all(|b| b.describe().is_empty()) {
        return Err(WorkerError::Routes(vec![RouteProblem::worker(NO_ROUTES)]));
    }
    Ok(backends)
}

/// Every backend `--only` keeps that has routes in `filter`, its per-route settings read
/// through `lookup`; every problem of every backend at once.
pub(crate) fn prepare_each(
    filter: &Filter,
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Box<dyn Backend>>, WorkerError> {
    let mut problems = Vec::new();
    let mut backends = Vec::new();
    let only = app.settings().only.clone();
    let drain = app.settings().drain;
    for &(kind, prepare) in super::backends::ALL {
        // A backend left out is not even prepared: it registers no readiness part, opens
        // nothing and is not listed.
        if only.as_ref().is_some_and(|o| !o.iter().any(|k| k == kind)) {
            continue;
        }
        if drain && super::backends::ENDLESS.contains(&kind) {
            tracing::info!(
                "--drain: {kind} routes, if any, are not started: they never run out of work"
            );
            continue;
        }
        match prepare(filter, app, lookup) {
            Ok(Some(b)) => backends.push(b),
            Ok(None) => {}
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(backends)
    } else {
        Err(WorkerError::Routes(problems))
    }
}

/// The shutdown hooks, in order, all within `deadline`; a failing hook is logged and the
/// others still run.
pub(crate) async fn run_shutdown_hooks(registry: &Hooks, app: &App, deadline: Duration) {
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
