//! The SQS backend: routes resolved from the registry, listed, checked and run (per route, one
//! dispatcher fed by the pollers of each of its queues, whose held messages a keeper keeps
//! invisible until they are settled, or given back at shutdown).

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sqs::Client;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::client::{SqsClients, is_fifo};
use super::def::SqsRouteDef;
use super::fifo::{GroupGate, SqsInbound};
use super::intake::SqsFactory;
use super::queue::{BATCH, DeadLetter, QueueCtx};
use super::resolve::Resolved;
use super::source::{Readiness, Stops, poll};
use crate::app::App;
use crate::backend::{Backend, CheckFuture, DrainProbe, Preparation, StateNeed, state_needs};
use crate::backoff::Backoff;
use crate::dispatch::DispatchConfig;
use crate::future::BoxFuture;
use crate::observe::metrics::RouteMetrics;
use crate::registry::Filter;
use crate::sync::lock;

/// One SQS route, ready to run.
pub(crate) struct Prepared {
    pub(crate) resolved: Resolved,
    pub(crate) factory: SqsFactory,
    cfg: Arc<DispatchConfig>,
    /// One readiness part per queue, in the order of `resolved.queues`.
    ready: Vec<Arc<Readiness>>,
}

/// The SQS routes of a worker, resolved against its settings and ready to run.
struct SqsBackend {
    routes: Vec<Prepared>,
    clients: Arc<SqsClients>,
}

/// The SQS routes of a worker (registered with `#[route(sqs = ...)]`), if any. Nothing
/// touches the network yet; every problem is reported, not just the first.
pub(crate) fn prepare(
    filter: &Filter,
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Preparation {
    let defs = crate::registry::routes::<SqsRouteDef>(filter);
    if defs.is_empty() {
        return Ok(None);
    }
    let mut problems = crate::registry::name_clashes(&defs, "SQS routes");
    let mut resolved = Vec::with_capacity(defs.len());
    for def in defs {
        match Resolved::new(def, app.settings(), lookup) {
            Ok(r) => resolved.push(r),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Only now: a worker that does not start must not leave parts in its readiness report.
    let routes = resolved
        .into_iter()
        .map(|r| Prepared::new(r, app))
        .collect();
    Ok(Some(Box::new(SqsBackend {
        routes,
        clients: app.resource(SqsClients::new),
    })))
}

impl Prepared {
    fn new(resolved: Resolved, app: &App) -> Prepared {
        let def = resolved.def;
        let sources: Vec<Arc<str>> = resolved
            .queues
            .iter()
            .map(|q| Arc::from(q.as_str()))
            .collect();
        let metrics = RouteMetrics::new(app.metrics(), def.name, &sources);
        let cfg = DispatchConfig::new(
            def.name,
            &resolved.queues,
            &resolved.bulk,
            def.options.actions(),
            metrics,
        );
        let ready = resolved
            .queues
            .iter()
            .map(|q| {
                let part = format!("sqs {} {q}", def.name);
                let flag: Arc<AtomicBool> = app.health().register(part.clone());
                Arc::new(Readiness {
                    app: app.clone(),
                    part,
                    flag,
                })
            })
            .collect();
        Prepared {
            factory: (def.factory)(),
            resolved,
            cfg: Arc::new(cfg),
            ready,
        }
    }
}

impl Backend for SqsBackend {
    fn kind(&self) -> &'static str {
        "sqs"
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

    fn check<'a>(&'a self, _app: &'a App) -> CheckFuture<'a> {
        let resolved = self.routes.iter().map(|r| &r.resolved).collect();
        Box::pin(super::check::check(&self.clients, resolved))
    }

    fn drain_probe(&self) -> Option<Box<dyn DrainProbe>> {
        let queues = self.routes.iter().flat_map(|r| {
            let route = r.resolved.def.name;
            r.resolved.queues.iter().map(move |q| (route, q.clone()))
        });
        Some(super::drained::probe(
            Arc::clone(&self.clients),
            queues.collect(),
        ))
    }

    fn run(
        self: Box<Self>,
        app: App,
        stop: CancellationToken,
        deadline: Duration,
    ) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(self.consume(app, stop, deadline))
    }
}

/// The queues of a run that resolved, each with its visibility keeper.
type Running = Mutex<Vec<(Arc<QueueCtx>, JoinHandle<()>)>>;

/// What every queue task of a run shares.
#[derive(Clone)]
struct Run {
    client: Client,
    clients: Arc<SqsClients>,
    stops: Stops,
    /// Fired once the pollers are done: the keepers stop extending.
    kept: CancellationToken,
    /// Every queue resolved so far, with its keeper, for the give-back at the end.
    queues: Arc<Running>,
}

impl SqsBackend {
    /// Polls until `stop`; then the pollers end, partial bulks go to their handlers, and what
    /// is still held when `deadline` passes is given back to SQS at once.
    async fn consume(
        self,
        app: App,
        stop: CancellationToken,
        deadline: Duration,
    ) -> Result<(), String> {
        let run = Run {
            client: self.clients.client().await?,
            clients: Arc::clone(&self.clients),
            stops: Stops {
                stop: stop.clone(),
                abort: CancellationToken::new(),
            },
            kept: CancellationToken::new(),
            queues: Arc::default(),
        };
        let mut dispatchers = JoinSet::new();
        let mut queues = JoinSet::new();
        for route in &self.routes {
            let capacity = (route.cfg.bulk_size * route.cfg.concurrency).clamp(BATCH, 4096);
            let (tx, rx) = mpsc::channel(capacity);
            let runner = &route.factory.0.runner;
            dispatchers.spawn(runner.dispatcher(Arc::clone(&route.cfg), app.clone(), rx));
            for (queue, ready) in route.resolved.queues.iter().zip(&route.ready) {
                let task = run_queue(
                    run.clone(),
                    route,
                    queue.clone(),
                    Arc::clone(ready),
                    tx.clone(),
                );
                queues.spawn(task);
            }
        }
        stop.cancelled().await;
        tracing::info!(deadline = ?deadline, "SQS: polling stopped; handing partial bulks over");
        crate::drain::drain(
            &mut dispatchers,
            deadline,
            "SQS",
            "abandoning unfinished handler calls; their messages are given back",
        )
        .await;
        // Messages to give back: the receives in flight must end first, or SQS would hand
        // the given-back messages to them (their connections closed), invisible again.
        // Nothing to give back: no reason to wait for them.
        let holding = lock(&run.queues).iter().any(|(q, _)| !q.held.is_empty());
        if !holding {
            run.stops.abort.cancel();
        }
        while queues.join_next().await.is_some() {}
        run.kept.cancel();
        give_back(&run.queues).await;
        Ok(())
    }
}

/// One queue of a route: resolved (retried until it is), then polled until stopped, its held
/// messages kept invisible meanwhile.
fn run_queue(
    run: Run,
    route: &Prepared,
    queue: String,
    ready: Arc<Readiness>,
    tx: mpsc::Sender<SqsInbound>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let name = Arc::clone(&route.cfg.route);
    let options = route.resolved.options;
    async move {
        let Some((url, dead_letter)) = resolve(&run, &queue, options.dead_letter, &ready).await
        else {
            return;
        };
        let fifo = is_fifo(&url);
        let ctx = Arc::new(QueueCtx {
            route: name,
            queue: Arc::from(queue.as_str()),
            url,
            client: run.client.clone(),
            options,
            dead_letter,
            held: Arc::default(),
            groups: fifo.then(|| GroupGate::new(tx.clone())),
        });
        let keeper = tokio::spawn(super::visibility::keep(Arc::clone(&ctx), run.kept.clone()));
        lock(&run.queues).push((Arc::clone(&ctx), keeper));
        // One receive at a time per queue: a FIFO queue's messages then reach the group gate
        // in SQS's order, and a receive of ten returns in one round trip, well ahead of the
        // handler calls it feeds. (moto, the tests' emulator, answers concurrent receives of a
        // queue with the same messages.) The dispatcher ends once every sender is gone: the
        // poller drops its own when stopped.
        poll(ctx.clone(), tx, ready, run.stops.clone()).await;
        if let Some(gate) = &ctx.groups {
            gate.close();
        }
    }
}

/// The URL of `queue` and of the dead-letter queue, retried with backoff (the queue may not
/// exist yet, SQS may be unreachable) until they resolve or the worker stops.
async fn resolve(
    run: &Run,
    queue: &str,
    dead_letter: Option<&'static str>,
    ready: &Readiness,
) -> Option<(String, Option<DeadLetter>)> {
    let mut failures = 0u32;
    loop {
        let resolved = async {
            let url = run.clients.queue_url(&run.client, queue).await?;
            let dead_letter = match dead_letter {
                Some(d) => Some(DeadLetter {
                    name: Arc::from(d),
                    url: run.clients.queue_url(&run.client, d).await?,
                }),
                None => None,
            };
            Ok::<_, String>((url, dead_letter))
        };
        let error = match resolved.await {
            Ok(r) => return Some(r),
            Err(e) => e,
        };
        failures += 1;
        if failures == 1 || failures.is_multiple_of(20) {
            tracing::error!(queue, failures, error = %error, "SQS: cannot resolve a queue; retrying");
        }
        ready.set(false, Some(error));
        tokio::select! {
            () = run.stops.stop.cancelled() => return None,
            () = tokio::time::sleep(Backoff::RECONNECT.delay(failures)) => {}
        }
    }
}

/// Gives every message still held back to SQS at once (visible again), so that another worker
/// takes it now rather than after its visibility timeout.
async fn give_back(queues: &Running) {
    let queues: Vec<_> = lock(queues).drain(..).collect();
    for (q, keeper) in queues {
        let _ = keeper.await;
        let held = q.held.take_all();
        if held.is_empty() {
            continue;
        }
        tracing::warn!(route = %q.route, queue = %q.queue, messages = held.len(), "SQS: giving unsettled messages back (visible again at once)");
        q.change_visibility(&held, 0).await;
    }
}
