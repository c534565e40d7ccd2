//! The RabbitMQ backend: `#[route(amqp = [...])]` consumers.
//!
//! Per route: one dispatcher (backend-agnostic, see `dispatch.rs`) fed by one *source* per
//! queue, each on its own channel so that coalesced `multiple = true` acks only ever cover
//! that consumer's deliveries.

mod check;
mod client;
mod connection;
pub(crate) mod handler;
mod intake;
mod message;
mod publish;
mod retry;
mod settle;
mod source;
mod status;
mod topology;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use client::Amqp;
pub use lapin::BasicProperties;
pub use lapin::types::{AMQPValue, FieldTable};
pub use message::Message;
pub use publish::PublishError;
pub use retry::{
    ATTEMPT_HEADER, DEAD_LETTERED_AT_HEADER, ERROR_HEADER, EXCHANGE_HEADER, QUEUE_HEADER,
    ROUTE_HEADER, ROUTING_KEY_HEADER,
};

use intake::AmqpFactory;

/// What the code `#[route(amqp = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::handler::MessagesArg;
    pub use super::intake::{AmqpFactory, amqp_factory};
    pub use super::{AmqpOptions, AmqpRouteDef, QueueType};

    /// Compile-time check of a handler's last argument (its messages) for a route with
    /// `bulk_size = BULK`, spanned at its type by `#[route]`.
    pub fn assert_messages<T: MessagesArg<BULK>, const BULK: u16>() {}
}

use self::connection::ConnectionManager;
use self::retry::{RetryCounters, RetryPolicy};
use self::settle::SettleStats;
use self::source::Source;
use self::status::RouteStatus;
use self::topology::Topology;
use crate::action::Action;
use crate::app::App;
use crate::backend::{Backend, Preparation, RouteProblem, StateNeed, state_needs};
use crate::bulk::BulkOptions;
use crate::dispatch::{Actions, DispatchConfig};
use crate::observe::metrics::{QueueLabels, RouteMetrics};
use crate::registry::Filter;
use crate::registry::RouteDef as _;
use crate::settings::Settings;

/// A registered AMQP route, as `#[route(amqp = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct AmqpRouteDef {
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub queues: &'static [&'static str],
    pub options: AmqpOptions,
    pub factory: fn() -> AmqpFactory,
}

inventory::collect!(AmqpRouteDef);

/// The options of an AMQP route; see the `#[route]` documentation.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct AmqpOptions {
    pub vhost: Option<&'static str>,
    pub connection: Option<&'static str>,
    pub bulk_size: u16,
    pub bulk_flush_ms: u64,
    pub prefetch: Option<u16>,
    pub concurrency: u16,
    pub on_success: Action,
    pub on_exception: Action,
    pub on_decode_error: Action,
    pub timeout_ms: Option<u64>,
    /// Delayed retries through `<queue>.retry` before the message is dead-lettered; 0 = none.
    pub retries: u16,
    /// TTL of the retry queue, in milliseconds.
    pub retry_delay_ms: u64,
    /// The parking queue of messages that failed their last attempt.
    pub dead_letter: Option<&'static str>,
    /// Declare the queues (and retry/parking queues) at startup and after every reconnect.
    pub declare: bool,
    /// The `x-queue-type` of declared queues.
    pub queue_type: QueueType,
}

/// The type of a queue `declare = true` creates.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueType {
    /// A classic queue (RabbitMQ's default).
    Classic,
    /// A replicated quorum queue.
    Quorum,
}

impl QueueType {
    /// The `x-queue-type` argument value.
    pub const fn as_str(self) -> &'static str {
        match self {
            QueueType::Classic => "classic",
            QueueType::Quorum => "quorum",
        }
    }
}

impl AmqpOptions {
    pub const DEFAULT: AmqpOptions = AmqpOptions {
        vhost: None,
        connection: None,
        bulk_size: 1,
        bulk_flush_ms: 1000,
        prefetch: None,
        concurrency: 1,
        on_success: Action::Ack,
        on_exception: Action::Requeue,
        on_decode_error: Action::Reject,
        timeout_ms: None,
        retries: 0,
        retry_delay_ms: 10_000,
        dead_letter: None,
        declare: false,
        queue_type: QueueType::Classic,
    };
}

crate::registry::route_def!(AmqpRouteDef);

impl AmqpOptions {
    /// The options that shape bulks, as the attribute set them.
    fn bulk(&self) -> BulkOptions {
        BulkOptions {
            bulk_size: self.bulk_size,
            bulk_flush_ms: self.bulk_flush_ms,
            concurrency: self.concurrency,
            timeout_ms: self.timeout_ms,
        }
    }

    /// The fate of unmarked and undecodable messages.
    fn actions(&self) -> Actions {
        Actions {
            on_success: self.on_success,
            on_exception: self.on_exception,
            on_decode_error: self.on_decode_error,
        }
    }
}

/// A route's options after deployment overrides, with prefixed queue names.
struct Resolved {
    def: &'static AmqpRouteDef,
    options: AmqpOptions,
    /// The bulk options, with the deployment's overrides.
    bulk: BulkOptions,
    queues: Vec<String>,
    prefetch: u16,
    /// The parking queue, with the queue prefix.
    dead_letter: Option<String>,
}

impl Resolved {
    fn new(
        def: &'static AmqpRouteDef,
        settings: &Settings,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, Vec<RouteProblem>> {
        let problem = |message: String| RouteProblem::of(def, message);
        let mut options = def.options;
        let mut queues: Vec<String> = def.queues.iter().map(|q| (*q).to_owned()).collect();
        let over = crate::settings::route_override(def.name, settings, lookup)
            .map_err(|bad| bad.into_iter().map(problem).collect::<Vec<_>>())?;
        if let Some(q) = over.queues.clone() {
            if q.is_empty() || q.iter().any(|q| q.is_empty() || q.len() > 255) {
                return Err(vec![problem(format!(
                    "the queue override {q:?} needs one or more names of 1 to 255 bytes"
                ))]);
            }
            queues = q;
        }
        let bulk = options.bulk().with_override(&over);
        if let Some(n) = over.prefetch {
            options.prefetch = Some(n);
        }
        if let Some(p) = options.prefetch
            && p < bulk.bulk_size
        {
            return Err(vec![problem(format!(
                "prefetch {p} is smaller than bulk_size {}: the bulk could never fill",
                bulk.bulk_size
            ))]);
        }
        let prefetch = options.prefetch.unwrap_or_else(|| {
            // Enough for every concurrent call to be fed and the next bulk to fill meanwhile.
            let needed = u32::from(bulk.bulk_size) * (u32::from(bulk.concurrency) + 1);
            u32::from(settings.amqp_prefetch)
                .max(needed)
                .min(u32::from(u16::MAX)) as u16
        });
        let queues: Vec<String> = queues
            .into_iter()
            .map(|q| format!("{}{q}", settings.amqp_queue_prefix))
            .collect();
        let dead_letter = options
            .dead_letter
            .map(|d| format!("{}{d}", settings.amqp_queue_prefix));
        // Checked here too, not only by the macro: queue overrides come from the environment.
        if options.retries > 0
            && let Some(q) = queues
                .iter()
                .find(|q| queues.contains(&format!("{q}.retry")))
        {
            return Err(vec![problem(format!(
                "consumes both `{q}` and its retry queue `{q}.retry`: failed messages would come back without their delay; drop `{q}.retry` from the queues"
            ))]);
        }
        if let Some(d) = &dead_letter
            && queues.contains(d)
        {
            return Err(vec![problem(format!(
                "consumes its own dead-letter queue `{d}`: parked messages would loop"
            ))]);
        }
        Ok(Resolved {
            def,
            options,
            bulk,
            queues,
            prefetch,
            dead_letter,
        })
    }

    /// The topology of each of the route's queues: itself, `<queue>.retry`, the parking queue.
    fn topologies(&self) -> Vec<Topology> {
        let o = &self.options;
        self.queues
            .iter()
            .map(|q| {
                let retry_queue = format!("{q}.retry");
                Topology::new(
                    q,
                    o.queue_type,
                    o.declare,
                    (o.retries > 0).then_some((retry_queue.as_str(), o.retry_delay_ms)),
                    self.dead_letter.as_deref(),
                )
            })
            .collect()
    }

    /// A one-line summary for `--routes` and the startup log.
    fn describe(&self) -> String {
        let o = &self.options;
        let mut s = format!(
            "amqp  {:<20} queues={:?} bulk_size={} bulk_flush={}ms prefetch={} concurrency={} on_success={} on_exception={} on_decode_error={}",
            self.def.name,
            self.queues,
            self.bulk.bulk_size,
            self.bulk.bulk_flush_ms,
            self.prefetch,
            self.bulk.concurrency,
            o.on_success,
            o.on_exception,
            o.on_decode_error,
        );
        if let Some(t) = self.bulk.timeout_ms {
            s.push_str(&format!(" timeout={t}ms"));
        }
        if let Some(v) = o.vhost {
            s.push_str(&format!(" vhost={v:?}"));
        }
        if let Some(c) = o.connection {
            s.push_str(&format!(" connection={c:?}"));
        }
        if o.retries > 0 {
            s.push_str(&format!(
                " retries={} retry_delay={}ms",
                o.retries, o.retry_delay_ms
            ));
        }
        if let Some(d) = &self.dead_letter {
            s.push_str(&format!(" dead_letter={d:?}"));
        }
        if o.declare {
            s.push_str(&format!(
                " declare=true queue_type={}",
                o.queue_type.as_str()
            ));
        }
        s.push_str(&format!("  ({})", self.def.location()));
        s
    }
}

struct Prepared {
    resolved: Resolved,
    factory: AmqpFactory,
    queues: Vec<Arc<str>>,
    /// Per queue, in the order of `queues`.
    topologies: Vec<Arc<Topology>>,
    retry: Vec<Option<Arc<RetryPolicy>>>,
    cfg: Arc<DispatchConfig>,
    connection: Arc<ConnectionManager>,
    ready: Vec<Arc<AtomicBool>>,
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
                    let counter = |outcome: &str| {
                        app.metrics()
                            .amqp_retries
                            .get_or_create(&crate::observe::metrics::OutcomeLabels {
                                route: def.name.to_owned(),
                                queue: q.to_string(),
                                outcome: outcome.to_owned(),
                            })
                            .clone()
                    };
                    retry.push(Some(Arc::new(RetryPolicy {
                        route: Arc::from(def.name),
                        queue: Arc::clone(q),
                        retries: r.options.retries,
                        retry_queue: (r.options.retries > 0).then(|| format!("{q}.retry")),
                        dead_letter: r.dead_letter.clone(),
                        publisher: Arc::clone(&publisher),
                        counters: RetryCounters {
                            retried: counter("retried"),
                            dead_lettered: counter("dead_lettered"),
                            exhausted: counter("exhausted"),
                            republish_failed: counter("republish_failed"),
                        },
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
            let stats = Arc::new(SettleStats::default());
            let status = Arc::new(RouteStatus::default());
            for (i, (queue, ready)) in route.queues.iter().zip(&route.ready).enumerate() {
                let source = Source {
                    retry: route.retry[i].clone(),
                    topology: Arc::clone(&route.topologies[i]),
                    ready: Arc::clone(ready),
                    reconnects: app
                        .metrics()
                        .reconnects
                        .get_or_create(&QueueLabels {
                            route: route.cfg.route.to_string(),
                            queue: queue.to_string(),
                        })
                        .clone(),
                    route: Arc::clone(&route.cfg.route),
                    queue: Arc::clone(queue),
                    prefetch: route.resolved.prefetch,
                    connection: Arc::clone(&route.connection),
                    stats: Arc::clone(&stats),
                    status: Arc::clone(&status),
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
