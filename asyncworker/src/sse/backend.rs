//! The SSE backend: routes resolved from the registry, listed, checked and run (per route,
//! one dispatcher fed by one stream per path).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::check::check_route;
use super::def::SseRouteDef;
use super::intake::SseFactory;
use super::resolve::Resolved;
use super::stream::{Readiness, Stream, StreamCounters};
use super::tls::Tls;
use crate::action::Action;
use crate::app::App;
use crate::backend::{Backend, CheckFuture, Preparation, StateNeed, state_needs};
use crate::dispatch::{Actions, DispatchConfig};
use crate::future::BoxFuture;
use crate::observe::metrics::RouteMetrics;
use crate::registry::Filter;
use crate::registry::RouteProblem;

/// SSE has no acknowledgement: the actions only label metrics and logs ("reject": the event
/// is dropped).
const ACTIONS: Actions = Actions {
    on_success: Action::Ack,
    on_exception: Action::Reject,
    on_decode_error: Action::Reject,
};

/// One SSE route, ready to run.
pub(crate) struct Prepared {
    pub(crate) resolved: Resolved,
    pub(crate) factory: SseFactory,
    /// The route's paths, as its events and metrics name them.
    paths: Vec<Arc<str>>,
    cfg: Arc<DispatchConfig>,
    /// One readiness part per path (its name and flag), registered once every route is known
    /// to be valid.
    ready: Vec<(String, Arc<AtomicBool>)>,
}

/// The SSE routes of a worker, resolved against its settings and ready to run.
struct SseBackend {
    routes: Vec<Prepared>,
    /// Under the testing harness: the feeds that replace the streams.
    #[cfg(feature = "testing")]
    memory: Option<Arc<super::memory::MemoryFeeds>>,
    client: reqwest::Client,
    /// The TLS of `https://` streams, for `--check`'s handshake (the client has its own copy).
    tls: Tls,
}

/// The SSE routes of a worker (registered with `#[route(sse = ...)]`), if any. Nothing
/// touches the network yet; every problem is reported, not just the first.
pub(crate) fn prepare(
    filter: &Filter,
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Preparation {
    let defs = crate::registry::routes::<SseRouteDef>(filter);
    if defs.is_empty() {
        return Ok(None);
    }
    let mut problems = crate::registry::name_clashes(&defs, "SSE routes");
    let mut routes = Vec::with_capacity(defs.len());
    for def in defs {
        match Prepared::new(def, app, lookup) {
            Ok(route) => routes.push(route),
            Err(p) => problems.extend(p),
        }
    }
    let tls = Tls::new(app.settings());
    if let Err(e) = &tls {
        problems.push(RouteProblem::worker(e.clone()));
    }
    let (true, Ok(tls)) = (problems.is_empty(), tls) else {
        return Err(problems);
    };
    let client = http_client(&tls)?;
    // Only now: a worker that does not start must not leave parts in its readiness report.
    for r in &mut routes {
        for p in &r.paths {
            let name = format!("sse {} {p}", r.cfg.route);
            let flag = app.health().register(name.clone());
            r.ready.push((name, flag));
        }
    }
    #[cfg(feature = "testing")]
    let memory = app.existing_resource::<super::memory::MemoryFeeds>();
    #[cfg(feature = "testing")]
    if let Some(feeds) = &memory {
        for r in &routes {
            feeds.register(&r.cfg.route, &r.paths);
            // A feed has no connection to wait for: its stream is up once registered.
            for (_, flag) in &r.ready {
                flag.store(true, std::sync::atomic::Ordering::Release);
            }
        }
    }
    Ok(Some(Box::new(SseBackend {
        routes,
        #[cfg(feature = "testing")]
        memory,
        client,
        tls,
    })))
}

/// The client every stream shares (one connection pool), with `tls` for `https://` streams.
fn http_client(tls: &Tls) -> Result<reqwest::Client, Vec<RouteProblem>> {
    let builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("asyncworker/", env!("CARGO_PKG_VERSION")));
    tls.configure(builder).build().map_err(|e| {
        vec![RouteProblem::worker(format!(
            "cannot build the SSE HTTP client: {e}"
        ))]
    })
}

impl Prepared {
    fn new(
        def: &'static SseRouteDef,
        app: &App,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Prepared, Vec<RouteProblem>> {
        let resolved = Resolved::new(def, app.settings(), lookup)?;
        let paths: Vec<Arc<str>> = def.paths.iter().map(|p| Arc::from(*p)).collect();
        let metrics = RouteMetrics::new(app.metrics(), def.name, &paths);
        let cfg = DispatchConfig::new(def.name, def.paths, &resolved.bulk, ACTIONS, metrics);
        Ok(Prepared {
            factory: (def.factory)(),
            resolved,
            paths,
            cfg: Arc::new(cfg),
            ready: Vec::new(),
        })
    }

    /// One stream per path of this route.
    fn streams(&self, app: &App, client: &reqwest::Client) -> Vec<Stream> {
        let options = &self.resolved.def.options;
        let paths = self.paths.iter().zip(&self.resolved.urls).zip(&self.ready);
        paths
            .map(|((path, url), (part, flag))| Stream {
                route: Arc::clone(&self.cfg.route),
                path: Arc::clone(path),
                url: url.clone(),
                headers: self.resolved.headers.clone(),
                client: client.clone(),
                idle_timeout: Duration::from_millis(options.idle_timeout_ms),
                max_event_size: usize::try_from(options.max_event_size).unwrap_or(usize::MAX),
                ready: Readiness {
                    app: app.clone(),
                    part: part.clone(),
                    flag: Arc::clone(flag),
                },
                counters: Arc::new(StreamCounters::new(app.metrics(), &self.cfg.route, path)),
            })
            .collect()
    }
}

impl Backend for SseBackend {
    fn kind(&self) -> &'static str {
        "sse"
    }

    fn describe(&self) -> Vec<String> {
        self.routes.iter().map(|r| r.resolved.describe()).collect()
    }

    fn asyncapi(&self, doc: &mut crate::docs::asyncapi::AsyncApi) {
        super::asyncapi::describe(&self.routes, doc);
    }

    fn required_state(&self) -> Vec<StateNeed> {
        self.routes
            .iter()
            .flat_map(|r| state_needs(r.resolved.def, &r.factory.0.required_state))
            .collect()
    }

    /// Per route, whether its server accepts a TCP connection (and, for `https://`, a TLS
    /// handshake). The URLs themselves were validated when the backend was prepared (a missing
    /// or non-http URL never gets here).
    fn check<'a>(&'a self, app: &'a App) -> CheckFuture<'a> {
        let _ = app;
        Box::pin(async move {
            let routes = self
                .routes
                .iter()
                .map(|r| check_route(&r.resolved, &self.tls));
            futures_util::future::join_all(routes)
                .await
                .into_iter()
                .flatten()
                .collect()
        })
    }

    fn run(
        self: Box<Self>,
        app: App,
        stop: CancellationToken,
        deadline: Duration,
    ) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(async move {
            self.consume(app, stop, deadline).await;
            Ok(())
        })
    }
}

impl SseBackend {
    /// Streams until `stop`, then closes the streams, hands partial bulks over and waits for
    /// the handlers within `deadline`. A stream stopped by a 204 does not end the backend.
    async fn consume(self, app: App, stop: CancellationToken, deadline: Duration) {
        let mut tasks = JoinSet::new();
        for route in &self.routes {
            let (tx, rx) = mpsc::channel(route.cfg.bulk_size.clamp(16, 1024));
            let runner = &route.factory.0.runner;
            tasks.spawn(runner.dispatcher(Arc::clone(&route.cfg), app.clone(), rx));
            #[cfg(feature = "testing")]
            if let Some(feed) = self.memory.as_ref().and_then(|f| f.take(&route.cfg.route)) {
                tasks.spawn(super::memory::forward(feed, tx));
                continue;
            }
            // The dispatcher ends once every stream has dropped its sender: shutdown closes
            // the streams, and the partial bulk goes to the handler then.
            for stream in route.streams(&app, &self.client) {
                tasks.spawn(stream.run(tx.clone(), stop.clone()));
            }
        }
        stop.cancelled().await;
        #[cfg(feature = "testing")]
        if let Some(feeds) = &self.memory {
            feeds.close();
        }
        tracing::info!(deadline = ?deadline, "SSE: streams closed; handing partial bulks over");
        crate::drain::drain(
            &mut tasks,
            deadline,
            "SSE",
            "abandoning unfinished handler calls",
        )
        .await;
    }
}
