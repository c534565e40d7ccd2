//! The AMQP backend: its routes prepared (`AmqpBackend::prepare`), and run (`consume`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::check::{self, CheckTarget};
use super::connection::{self, ConnectionManager};
use super::consumer::intake::AmqpFactory;
use super::consumer::poison::PoisonGuard;
use super::consumer::source::Source;
use super::def::AmqpRouteDef;
use super::resolve::Resolved;
use super::retry::{RetryCounters, RetryPolicy};
use super::topology::Topology;
use crate::app::App;
use crate::backend::{Backend, Preparation, StateNeed, state_needs};
use crate::dispatch::DispatchConfig;
use crate::observe::health::{Health, Reason};
use crate::observe::metrics::{Metrics, QueueLabels, RouteMetrics};
use crate::registry::Filter;
use crate::registry::RouteDef as _;
use crate::registry::RouteProblem;
use crate::settings::Settings;

/// (named connection, vhost): the routes that agree on both share a consumer connection.
type ConnectionKey = (Option<&'static str>, Option<&'static str>);

/// A route ready to run: its resolution, handler, connection and per-queue pieces.
pub(crate) struct Prepared {
    pub(crate) resolved: Resolved,
    pub(crate) factory: AmqpFactory,
    pub(crate) queues: Vec<Arc<str>>,
    /// Per queue, in the order of `queues`.
    pub(crate) topologies: Vec<Arc<Topology>>,
    /// Per queue, in the order of `queues`; `None` on routes without retries or dead letters.
    pub(crate) retry: Vec<Option<Arc<RetryPolicy>>>,
    /// Per queue, in the order of `queues`; `None` on routes that are not guarded.
    pub(crate) guards: Vec<Option<Arc<PoisonGuard>>>,
    pub(crate) cfg: Arc<DispatchConfig>,
    pub(crate) connection: Arc<ConnectionManager>,
    /// Per queue, in the order of `queues`; registered once the whole backend is prepared.
    pub(crate) ready: Vec<Arc<AtomicBool>>,
    /// Per queue, in the order of `queues`: why its consumer is not attached, while it is not.
    pub(crate) reasons: Vec<Reason>,
}

/// The AMQP routes of a worker, resolved against its settings and ready to run.
pub(crate) struct AmqpBackend {
    routes: Vec<Prepared>,
    connections: Vec<Arc<ConnectionManager>>,
    /// Under the testing harness: the in-memory broker the routes consume from.
    #[cfg(feature = "testing")]
    memory: Option<Arc<super::memory::MemoryBroker>>,
}

impl AmqpBackend {
    /// Resolves options, checks for clashes and builds factories and connection managers;
    /// nothing touches the network yet. Every problem is reported, not just the first.
    pub(crate) fn prepare(
        filter: &Filter,
        app: &App,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Preparation {
        let defs = crate::registry::routes::<AmqpRouteDef>(filter);
        if defs.is_empty() {
            return Ok(None);
        }
        let mut problems = crate::registry::name_clashes(&defs, "routes");
        let mut resolved = Vec::with_capacity(defs.len());
        for &def in &defs {
            match Resolved::new(def, app.settings(), lookup) {
                Ok(r) => resolved.push(r),
                Err(mut found) => problems.append(&mut found),
            }
        }
        problems.extend(queue_clashes(&resolved));
        let mut connections = HashMap::new();
        let mut routes = Vec::with_capacity(resolved.len());
        for r in resolved {
            match Prepared::new(r, app, lookup, &mut connections) {
                Ok(route) => routes.push(route),
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        #[cfg(feature = "testing")]
        let memory = app.existing_resource::<super::memory::MemoryBroker>();
        #[cfg(feature = "testing")]
        if let Some(broker) = &memory {
            problems = super::memory::attach(broker, &routes);
            if !problems.is_empty() {
                return Err(problems);
            }
        }
        // Only once every route is sound: a failed preparation leaves the health registry as
        // it was.
        for route in &mut routes {
            route.register_readiness(app.health());
            // In memory, `attach` registered the consumers: a message published now is
            // delivered once they run, so they count as attached from here on.
            #[cfg(feature = "testing")]
            if memory.is_some() {
                for flag in &route.ready {
                    flag.store(true, std::sync::atomic::Ordering::Release);
                }
            }
        }
        for c in connections.values() {
            app.health()
                .register_reason(format!("amqp {}", c.label()), c.failing());
        }
        Ok(Some(Box::new(AmqpBackend {
            routes,
            connections: connections.into_values().collect(),
            #[cfg(feature = "testing")]
            memory,
        })))
    }
}

/// A queue listed twice by one route, or consumed by two routes on the same connection and
/// vhost: the broker would split its messages between consumers that do not share bulks.
fn queue_clashes(resolved: &[Resolved]) -> Vec<RouteProblem> {
    let mut problems = Vec::new();
    let mut consumers: HashMap<(ConnectionKey, &str), &AmqpRouteDef> = HashMap::new();
    for r in resolved {
        let def = r.def;
        let key = (def.options.connection, def.options.vhost);
        for q in &r.queues {
            let Some(first) = consumers.insert((key, q.as_str()), def) else {
                continue;
            };
            problems.push(if std::ptr::eq(first, def) {
                RouteProblem::of(def, format!("lists queue `{q}` twice"))
            } else {
                RouteProblem::worker(format!(
                    "queue `{q}` is consumed by two routes: `{}` at {} and `{}` at {}; \
                     list both queues in one route to share a bulk",
                    first.name,
                    first.location(),
                    def.name,
                    def.location()
                ))
            });
        }
    }
    problems
}

impl Prepared {
    /// Builds what route `r` needs to run, reusing the consumer connection of an earlier
    /// route on the same (connection, vhost).
    fn new(
        r: Resolved,
        app: &App,
        lookup: &dyn Fn(&str) -> Option<String>,
        connections: &mut HashMap<ConnectionKey, Arc<ConnectionManager>>,
    ) -> Result<Prepared, RouteProblem> {
        let def = r.def;
        let factory = (def.factory)();
        if factory.0.takes_one && r.bulk.bulk_size > 1 {
            return Err(RouteProblem::of(
                def,
                format!(
                    "takes one `Message<T>`, so its bulk_size cannot be overridden to {}; take `Vec<Message<T>>` instead",
                    r.bulk.bulk_size
                ),
            ));
        }
        let connection = connection_for(connections, def, app.settings(), lookup)?;
        let queues: Vec<Arc<str>> = r.queues.iter().map(|q| Arc::from(q.as_str())).collect();
        let cfg = DispatchConfig::new(
            def.name,
            &r.queues,
            &r.bulk,
            r.options.actions(),
            RouteMetrics::new(app.metrics(), def.name, &queues),
        );
        let topologies = r.topologies().into_iter().map(Arc::new).collect();
        let retry = retry_policies(&r, &queues, app)?;
        let guards = queues
            .iter()
            .map(|q| {
                r.guarded().then(|| {
                    let route = Arc::from(def.name);
                    let clock = app.clock().clone();
                    Arc::new(PoisonGuard::new(
                        route,
                        Arc::clone(q),
                        r.max_redeliveries,
                        clock,
                        app.metrics(),
                    ))
                })
            })
            .collect();
        Ok(Prepared {
            resolved: r,
            factory,
            queues,
            topologies,
            retry,
            guards,
            cfg: Arc::new(cfg),
            connection,
            ready: Vec::new(),
            reasons: Vec::new(),
        })
    }

    /// One readiness part per queue: `amqp <route> <queue>`, ready while it has a consumer,
    /// with the reason it has none.
    fn register_readiness(&mut self, health: &Health) {
        let route = &self.cfg.route;
        for q in &self.queues {
            let part = format!("amqp {route} {q}");
            self.ready.push(health.register(part.clone()));
            let reason = Reason::default();
            health.register_reason(part, Arc::clone(&reason));
            self.reasons.push(reason);
        }
    }

    /// The consumer of the queue at `index`, with its metric handles.
    fn source(&self, index: usize, metrics: &Metrics) -> Source {
        let queue = &self.queues[index];
        let labels = QueueLabels {
            route: self.cfg.route.to_string(),
            queue: queue.to_string(),
        };
        Source {
            route: Arc::clone(&self.cfg.route),
            queue: Arc::clone(queue),
            prefetch: self.resolved.prefetch,
            connection: Arc::clone(&self.connection),
            ready: Arc::clone(&self.ready[index]),
            reason: Arc::clone(&self.reasons[index]),
            reconnects: metrics.reconnects.get_or_create(&labels).clone(),
            lost: metrics.settlements_lost.get_or_create(&labels).clone(),
            redelivered: metrics.amqp_redelivered.get_or_create(&labels).clone(),
            retry: self.retry[index].clone(),
            guard: self.guards[index].clone(),
            topology: Arc::clone(&self.topologies[index]),
            single_active: self.resolved.def.options.topology.single_active,
        }
    }
}

/// The consumer connection of `def`'s (named connection, vhost), built on first use.
fn connection_for(
    connections: &mut HashMap<ConnectionKey, Arc<ConnectionManager>>,
    def: &AmqpRouteDef,
    settings: &Settings,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<ConnectionManager>, RouteProblem> {
    let (name, vhost) = (def.options.connection, def.options.vhost);
    if let Some(c) = connections.get(&(name, vhost)) {
        return Ok(Arc::clone(c));
    }
    let urls = settings
        .connection_urls(name, lookup)
        .map_err(|e| RouteProblem::of(def, e))?;
    let label = connection::label("asyncworker", name, vhost);
    // A malformed URL or TLS file is the deployment's, shared by every route on it: a worker problem.
    let manager = ConnectionManager::new(&urls, vhost, settings.amqp_heartbeat, label)
        .and_then(|m| m.with_tls(&settings.connection_tls(name, lookup)))
        .map_err(RouteProblem::worker)?;
    let manager = Arc::new(manager);
    connections.insert((name, vhost), Arc::clone(&manager));
    Ok(manager)
}

/// Per queue of `r`, its retry policy when the route retries or parks failed messages. The
/// route's policies share one publisher channel, apart from `app.amqp()`'s (see
/// `Clients::dedicated`).
fn retry_policies(
    r: &Resolved,
    queues: &[Arc<str>],
    app: &App,
) -> Result<Vec<Option<Arc<RetryPolicy>>>, RouteProblem> {
    let (def, o) = (r.def, &r.options);
    if o.retries == 0 && r.dead_letter.is_none() {
        return Ok(vec![None; queues.len()]);
    }
    let publisher = app
        .amqp_clients()
        .dedicated(def.options.connection, def.options.vhost)
        .map_err(|e| RouteProblem::of(def, e.to_string()))?;
    let policy = |q: &Arc<str>| RetryPolicy {
        route: Arc::from(def.name),
        queue: Arc::clone(q),
        retries: o.retries,
        retry_queues: r
            .retry_queues(q)
            .into_iter()
            .map(|(name, _)| name)
            .collect(),
        dead_letter: r.dead_letter.clone(),
        publisher: Arc::clone(&publisher),
        counters: RetryCounters::new(app.metrics(), def.name, q),
    };
    Ok(queues.iter().map(|q| Some(Arc::new(policy(q)))).collect())
}

impl Backend for AmqpBackend {
    fn kind(&self) -> &'static str {
        "amqp"
    }

    /// One line per route, for `--routes` and the startup log.
    fn describe(&self) -> Vec<String> {
        self.routes.iter().map(|r| r.resolved.describe()).collect()
    }

    /// Every route's state needs, with the route's name and location.
    fn required_state(&self) -> Vec<StateNeed> {
        self.routes
            .iter()
            .flat_map(|r| state_needs(r.resolved.def, &r.factory.0.required_state))
            .collect()
    }

    fn check<'a>(&'a self, _app: &'a App) -> crate::backend::CheckFuture<'a> {
        let targets = self.routes.iter().map(|r| CheckTarget {
            route: r.resolved.def.name,
            connection: &r.connection,
            topologies: &r.topologies,
        });
        Box::pin(check::check(targets.collect()))
    }

    fn asyncapi(&self, doc: &mut crate::docs::asyncapi::AsyncApi) {
        super::asyncapi::describe(&self.routes, doc);
    }

    fn topology(&self) -> Option<crate::backend::BrokerDefinitions> {
        Some(super::definitions::document(&self.routes))
    }

    fn drain_probe(&self) -> Option<Box<dyn crate::backend::DrainProbe>> {
        Some(Box::new(super::drained::AmqpDrain::new(
            &self.routes,
            #[cfg(feature = "testing")]
            self.memory.clone(),
        )))
    }

    fn run(
        self: Box<Self>,
        app: App,
        stop: CancellationToken,
        deadline: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'static>> {
        Box::pin(async move {
            self.consume(app, stop, deadline).await;
            Ok(())
        })
    }
}

impl AmqpBackend {
    /// Consumes until `stop`, then drains within `deadline`; what is not finished by then is
    /// abandoned unacked and the connections are closed, so the broker redelivers it.
    async fn consume(self, app: App, stop: CancellationToken, deadline: Duration) {
        let mut tasks = JoinSet::new();
        for route in &self.routes {
            // A small buffer: the prefetch already bounds what is in flight.
            let (tx, rx) = mpsc::channel(usize::from(route.resolved.prefetch).clamp(16, 1024));
            let runner = &route.factory.0.runner;
            tasks.spawn(runner.dispatcher(Arc::clone(&route.cfg), app.clone(), rx));
            for index in 0..route.queues.len() {
                let source = route.source(index, app.metrics());
                #[cfg(feature = "testing")]
                if let Some(broker) = &self.memory {
                    let consume = super::memory::consume(
                        Arc::clone(broker),
                        source,
                        tx.clone(),
                        stop.clone(),
                    );
                    tasks.spawn(consume);
                    continue;
                }
                tasks.spawn(source.run(tx.clone(), stop.clone()));
            }
        }
        stop.cancelled().await;
        tracing::info!(deadline = ?deadline, "AMQP: intake stopped; draining in-flight work");
        crate::drain::drain(
            &mut tasks,
            deadline,
            "AMQP",
            "abandoning unfinished work (left unacked, the broker redelivers it)",
        )
        .await;
        for c in &self.connections {
            c.close().await;
        }
    }
}
