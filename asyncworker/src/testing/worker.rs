//! [`TestWorker`]: a worker whose transports are in memory, and what a test does with it.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;

use super::builder::TestWorkerBuilder;
use crate::app::App;
use crate::backend::Backend;
use crate::clock::virtual_clock::VirtualClock;
use crate::hooks::Hooks;
use crate::registry::Filter;

/// A worker started from the registered routes and hooks, with nothing outside the process:
/// AMQP routes consume an in-memory broker, SSE routes are fed by the test, HTTP routes are
/// called in process, schedules run when the test asks. The dispatcher, bulks, handler calls,
/// settlement (acks coalesced as on RabbitMQ), retries and dead letters are the real ones.
///
/// Time: bucket deadlines (`bulk_flush`), retry delays and handler `timeout`s run on a clock
/// that [`settled`](TestWorker::settled) moves forward, so a test never waits for them; the
/// handlers' own sleeps stay real (pause tokio's clock in the test to make them virtual too).
///
/// ```
/// use asyncworker::prelude::*;
/// use asyncworker::testing::{FateKind, TestWorker};
///
/// #[route(amqp = ["orders"], bulk_size = 10, bulk_flush = "5s")]
/// async fn drain(messages: Vec<Message<u64>>) {
///     for m in &messages {
///         if *m.body() == 0 {
///             m.reject();
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let w = TestWorker::builder().only_module(module_path!()).start().await.unwrap();
/// w.publish("orders", &7);
/// w.publish("orders", &0);
/// w.settled().await; // no 5 s wait: the clock moves to the bucket's deadline
/// let fates: Vec<FateKind> = w.fates("orders").into_iter().map(|f| f.kind).collect();
/// assert_eq!(fates, [FateKind::Acked, FateKind::Rejected]);
/// w.stop().await;
/// # }
/// ```
pub struct TestWorker {
    pub(super) parts: Parts,
    running: JoinSet<()>,
}

/// What a started test worker holds.
pub(super) struct Parts {
    pub(super) app: App,
    pub(super) clock: Arc<VirtualClock>,
    pub(super) transports: Transports,
    pub(super) hooks: Hooks,
    #[allow(
        dead_code,
        reason = "read by the HTTP and schedule parts when compiled in"
    )]
    pub(super) filter: Filter,
    pub(super) patience: Duration,
    pub(super) settle_limit: Duration,
}

/// The in-memory transports of the backends compiled in, on the application handle.
pub(super) struct Transports {
    #[cfg(feature = "amqp")]
    pub(super) broker: Arc<crate::amqp::memory::MemoryBroker>,
    #[cfg(feature = "sse")]
    pub(super) feeds: Arc<crate::sse::memory::MemoryFeeds>,
}

impl Transports {
    /// Puts the transports on `app`, where the backends and `app.amqp()` find them.
    pub(super) fn put_on(app: &App, clock: &Arc<VirtualClock>) -> Transports {
        let _ = clock;
        #[cfg(feature = "amqp")]
        let broker = {
            let broker = crate::amqp::memory::MemoryBroker::start(Arc::clone(clock));
            app.put_resource(Arc::clone(&broker));
            let clients = crate::amqp::Clients::in_memory(app.settings(), Arc::clone(&broker));
            app.put_resource(Arc::new(clients));
            broker
        };
        #[cfg(feature = "sse")]
        let feeds = {
            let feeds = Arc::new(crate::sse::memory::MemoryFeeds::default());
            app.put_resource(Arc::clone(&feeds));
            feeds
        };
        let _ = app;
        Transports {
            #[cfg(feature = "amqp")]
            broker,
            #[cfg(feature = "sse")]
            feeds,
        }
    }
}

impl TestWorker {
    /// How to start one: which routes, settings and state.
    pub fn builder() -> TestWorkerBuilder {
        TestWorkerBuilder::default()
    }

    /// Runs the consumer backends (AMQP and SSE, on their in-memory transports); the others
    /// are used in process (HTTP) or on demand (schedules).
    pub(super) fn run(parts: Parts, backends: Vec<Box<dyn Backend>>) -> TestWorker {
        let app = &parts.app;
        let stop = app.shutdown_token().clone();
        let deadline = app.settings().shutdown_timeout;
        let mut running = JoinSet::new();
        for backend in backends {
            if matches!(backend.kind(), "amqp" | "sse") {
                let run = backend.run(app.clone(), stop.clone(), deadline);
                running.spawn(async move {
                    if let Err(e) = run.await {
                        tracing::error!("a backend of the test worker failed: {e}");
                    }
                });
            }
        }
        app.health().set_started(true);
        TestWorker { parts, running }
    }

    /// The application handle the handlers and hooks get: its state, settings, metrics and
    /// health.
    pub fn app(&self) -> App {
        self.parts.app.clone()
    }

    /// Stops intake, lets every handler call finish and settle (partial bulks are handed
    /// over, as at a real shutdown), then runs the shutdown hooks.
    pub async fn stop(mut self) {
        let app = self.parts.app.clone();
        app.health().set_started(false);
        app.shutdown_token().cancel();
        while self.running.join_next().await.is_some() {}
        let deadline = app.settings().shutdown_timeout;
        crate::runtime::finish(&self.parts.hooks, &app, deadline).await;
    }
}

impl Drop for TestWorker {
    /// A worker dropped without [`stop`](TestWorker::stop) stops its consumers; its shutdown
    /// hooks do not run.
    fn drop(&mut self) {
        self.parts.app.shutdown_token().cancel();
    }
}

impl std::fmt::Debug for TestWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestWorker")
            .field("clock_ahead_by", &self.parts.clock.offset())
            .finish_non_exhaustive()
    }
}
