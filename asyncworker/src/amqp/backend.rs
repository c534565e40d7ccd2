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

use super::check;
use super::connection::ConnectionManager;
use super::consumer::intake::AmqpFactory;
use super::consumer::source::Source;
use super::def::AmqpRouteDef;
use super::resolve::Resolved;
use super::retry::{RetryCounters, RetryPolicy};
use super::topology::Topology;
use crate::app::App;
use crate::backend::{Backend, Preparation, RouteProblem, StateNeed, state_needs};
use crate::dispatch::DispatchConfig;
use crate::metrics::{QueueLabels, RouteMetrics};
use crate::registry::Filter;
use crate::registry::RouteDef as _;

/// A route ready to run: its resolution, handler, connection and per-queue pieces.
pub(crate) struct Prepared {
    pub(crate) resolved: Resolved,
    pub(crate) factory: AmqpFactory,
    pub(crate) queues: Vec<Arc<str>>,
    /// Per queue, in the order of `queues`.
    pub(crate) topologies: Vec<Arc<Topology>>,
    pub(crate) retry: Vec<Option<Arc<RetryPolicy>>>,
    pub(crate) cfg: Arc<DispatchConfig>,
    pub(crate) connection: Arc<ConnectionManager>,
    pub(crate) ready: Vec<Arc<AtomicBool>>,
}

/// The AMQP routes of a worker, resolved against its settings and ready to run.
pub(crate) struct AmqpBackend {
    routes: Vec<Prepared>,
    connections: Vec<Arc<ConnectionManager>>,
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
        let settings = app.settings();
        let mut problems = crate::registry::name_clashes(&defs, "routes");
        let mut resolved = Vec::with_capacity(defs.len());
        for &def in &defs {
            match Resolved::new(def, settings, lookup) {
                Ok(r) => resolved.push(r),
                Err(mut found) => problems.append(&mut found),
            }
        }
        let mut queues: HashMap<(Option<&str>, Option<&str>, &str), &AmqpRouteDef> = HashMap::new();
        for r in &resolved {
            let def = r.def;
            for q in &r.queues {
                let key = (def.options.connection, def.options.vhost, q.as_str());
                if let Some(first) = queues.insert(key, def) {
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
        }
        let mut connections: HashMap<(Option<&str>, Option<&str>), Arc<ConnectionManager>> =
            HashMap::new();
        let mut routes = Vec::with_capacity(resolved.len());
        for r in resolved {
            let def = r.def;
            let factory = (def.factory)();
            if factory.0.takes_one && r.bulk.bulk_size > 1 {
                problems.push(RouteProblem::of(def, format!(
                    "takes one `Message<T>`, so its bulk_size cannot be overridden to {}; take `Vec<Message<T>>` instead",
                    r.bulk.bulk_size
                )));
                continue;
            }
            let key = (def.options.connection, def.options.vhost);
            let connection = match connections.get(&key) {
                Some(c) => Arc::clone(c),
                None => {
                    let urls = match settings.connection_urls(def.options.connection, lookup) {
                        Ok(urls) => urls,
                        Err(e) => {
                            problems.push(RouteProblem::of(def, e));
                            continue;
                        }
                    };
                    let label = format!(
                        "asyncworker {}{}",
                        def.options.connection.unwrap_or("default"),
                        def.options
                            .vhost
                            .map(|v| format!(" vhost={v}"))
                            .unwrap_or_default()
                    );
                    match ConnectionManager::new(
                        &urls,
                        def.options.vhost,
                        settings.amqp_heartbeat,
                        label,
                    ) {
                        Ok(m) => {
                            let m = Arc::new(m);
                            connections.insert(key, Arc::clone(&m));
                            m
                        }
                        Err(e) => {
                            problems.push(RouteProblem::worker(e));
                            continue;
                        }
                    }
                }
            };
            let o = &r.options;
            let queues: Vec<Arc<str>> = r.queues.iter().map(|q| Arc::from(q.as_str())).collect();
            let cfg = DispatchConfig::new(
                def.name,
                &r.queues,
                &r.bulk,
                o.actions(),
                RouteMetrics::new(app.metrics(), def.name, &queues),
            );
            let topologies: Vec<Arc<Topology>> = r.topologies().into_iter().map(Arc::new).collect();
            let mut retry = Vec::with_capacity(queues.len());
            if r.options.retries > 0 || r.dead_letter.is_some() {
                let publisher = match app
                    .amqp_clients()
                    .dedicated(def.options.connection, def.options.vhost)
                {
                    Ok(p) => p,
                    Err(e) => {
                        problems.push(RouteProblem::of(def, e.to_string()));
                        continue;
                    }
                };
                for q in &queues {
                    retry.push(Some(Arc::new(RetryPolicy {
                        route: Arc::from(def.name),
                        queue: Arc::clone(q),
                        retries: r.options.retries,
                        retry_queue: (r.options.retries > 0).then(|| format!("{q}.retry")),
                        dead_letter: r.dead_letter.clone(),
                        publisher: Arc::clone(&publisher),
                        counters: RetryCounters::new(app.metrics(), def.name, q),
                    })));
                }
            } else {
                retry.resize(queues.len(), None);
            }
            routes.push(Prepared {
                resolved: r,
                factory,
                topologies,
                retry,
                queues,
                cfg: Arc::new(cfg),
                connection,
                ready: Vec::new(),
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        for r in &mut routes {
            for q in &r.queues {
                let name = format!("amqp {} {q}", r.cfg.route);
                r.ready.push(app.health().register(name));
            }
        }
        Ok(Some(Box::new(AmqpBackend {
            routes,
            connections: connections.into_values().collect(),
        })))
    }
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
        Box::pin(check::check(&self.routes))
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
            tasks.spawn(
                route
                    .factory
                    .0
                    .runner
                    .dispatcher(Arc::clone(&route.cfg), app.clone(), rx),
            );
            for (i, (queue, ready)) in route.queues.iter().zip(&route.ready).enumerate() {
                let labels = QueueLabels {
                    route: route.cfg.route.to_string(),
                    queue: queue.to_string(),
                };
                let source = Source {
                    retry: route.retry[i].clone(),
                    topology: Arc::clone(&route.topologies[i]),
                    ready: Arc::clone(ready),
                    reconnects: app.metrics().reconnects.get_or_create(&labels).clone(),
                    lost: app
                        .metrics()
                        .settlements_lost
                        .get_or_create(&labels)
                        .clone(),
                    route: Arc::clone(&route.cfg.route),
                    queue: Arc::clone(queue),
                    prefetch: route.resolved.prefetch,
                    connection: Arc::clone(&route.connection),
                };
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
