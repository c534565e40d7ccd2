//! Starting a [`TestWorker`]: which routes and hooks, which settings, which state, and the
//! in-memory transports put on the handle before the backends are prepared.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::worker::TestWorker;
use crate::app::App;
use crate::clock::Clock;
use crate::clock::virtual_clock::VirtualClock;
use crate::hooks::Hooks;
use crate::registry::Filter;
use crate::runtime::{WorkerError, prepare_each, run_shutdown_hooks, start};
use crate::settings::{MainOptions, Settings};

/// A state value waiting to be inserted before the startup hooks run.
type Insert = Box<dyn FnOnce(&App) + Send>;

/// How a [`TestWorker`] starts; made by [`TestWorker::builder`].
#[must_use = "a builder does nothing until `.start().await`"]
pub struct TestWorkerBuilder {
    settings: Settings,
    env: HashMap<String, String>,
    module: Option<String>,
    states: Vec<Insert>,
    #[cfg(feature = "amqp")]
    queues: Vec<(String, crate::amqp::FieldTable)>,
    patience: Duration,
    settle_limit: Duration,
}

impl Default for TestWorkerBuilder {
    fn default() -> Self {
        TestWorkerBuilder {
            settings: Settings::default(),
            env: HashMap::new(),
            module: None,
            states: Vec::new(),
            #[cfg(feature = "amqp")]
            queues: Vec::new(),
            patience: Duration::from_millis(250),
            settle_limit: Duration::from_secs(30),
        }
    }
}

impl TestWorkerBuilder {
    /// Keeps only the routes and hooks defined in `module` or its submodules (default: every
    /// registered one), e.g. `module_path!()`.
    pub fn only_module(mut self, module: &str) -> Self {
        self.module = Some(module.to_owned());
        self
    }

    /// The settings to start from (default: [`Settings::default`]). The process environment
    /// is never read: a test is the same on every machine.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// One setting as an `ASYNCWORKER_*` variable would give it, applied over
    /// [`settings`](Self::settings); also read for per-route overrides
    /// (`ASYNCWORKER_ROUTE_<NAME>_BULK_SIZE`, ...). A bad value makes `start` fail naming it.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Inserts `value` as state before the startup hooks run: a fake in place of a real pool.
    /// A startup hook that inserts the same type replaces it, so hooks that must not replace
    /// a fake check [`App::try_state`] first.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.push(Box::new(move |app: &App| {
            // Not frozen yet: only startup freezes the state.
            let _ = app.insert(value);
        }));
        self
    }

    /// Declares an in-memory queue with these arguments before the routes declare theirs
    /// (a dead-letter target, a length limit, ...), as a queue made by hand on a broker. A
    /// route with `declare = true` whose queue exists with other arguments fails to start,
    /// as RabbitMQ's 406 would make it.
    #[cfg(feature = "amqp")]
    pub fn declare_queue(mut self, name: &str, arguments: crate::amqp::FieldTable) -> Self {
        self.queues.push((name.to_owned(), arguments));
        self
    }

    /// How long a running handler call may show no progress before [`TestWorker::settled`]
    /// moves the clock to its `timeout` (default 250 ms). Raise it when handlers wait on real
    /// I/O longer than that and have a `timeout`.
    pub fn timeout_patience(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// How long [`TestWorker::settled`] may wait in real time before it fails the test
    /// saying what is still unsettled (default 30 s).
    pub fn settle_limit(mut self, limit: Duration) -> Self {
        self.settle_limit = limit;
        self
    }

    /// Prepares the routes against in-memory transports, inserts the state, runs the startup
    /// hooks and starts the consumers. A startup hook's error (or a route problem, a bad
    /// setting, missing state) comes back as `Err`; hooks that ran get their shutdown hooks.
    pub async fn start(self) -> Result<TestWorker, WorkerError> {
        let env = self.env;
        let lookup = move |k: &str| env.get(k).cloned();
        let mut settings = self
            .settings
            .overlay(&lookup, &MainOptions::DEFAULT)
            .map_err(WorkerError::Settings)?;
        // SSE routes resolve their stream URLs even though nothing connects to them.
        settings
            .sse_url
            .get_or_insert_with(|| "http://127.0.0.1:9".to_owned());
        let deadline = settings.shutdown_timeout;
        let clock = Arc::new(VirtualClock::default());
        let app = App::with_clock(settings, Clock::Virtual(Arc::clone(&clock)));
        for insert in self.states {
            insert(&app);
        }
        let transports = super::worker::Transports::put_on(&app, &clock);
        #[cfg(feature = "amqp")]
        for (name, arguments) in &self.queues {
            transports
                .broker
                .declare_queue(name, arguments, true)
                .map_err(|e| WorkerError::Routes(vec![crate::RouteProblem::worker(e)]))?;
        }
        let filter = Filter::module(self.module.as_deref());
        let hooks = Hooks::collect(&filter);
        let backends = prepare_each(&filter, &app, &lookup)?;
        // Routes the harness cannot feed are refused, not left silently idle.
        if let Some(b) = backends.iter().find(|b| b.kind() == "sqs") {
            let routes = b.describe().join("; ");
            return Err(WorkerError::Routes(vec![crate::RouteProblem::worker(
                format!(
                    "the testing harness has no in-memory SQS transport: leave SQS routes out with `only_module`, or test against an SQS emulator ({routes})"
                ),
            )]));
        }
        #[cfg(feature = "schedule")]
        let schedules =
            super::schedule::Schedules::prepare(&filter, &app).map_err(WorkerError::Routes)?;
        let needs = backends.iter().flat_map(|b| b.required_state()).collect();
        if let Err(e) = start(&hooks, &app, needs).await {
            run_shutdown_hooks(&hooks, &app, deadline).await;
            return Err(e);
        }
        // After the hooks, which may add layers around the routes.
        #[cfg(feature = "http")]
        let http = match crate::http::in_process(&filter, &app) {
            Ok(router) => router.map(super::http::TestHttp::new),
            Err(problems) => {
                run_shutdown_hooks(&hooks, &app, deadline).await;
                return Err(WorkerError::Routes(problems));
            }
        };
        let parts = super::worker::Parts {
            app,
            clock,
            transports,
            hooks,
            #[cfg(feature = "http")]
            http,
            #[cfg(feature = "schedule")]
            schedules,
            patience: self.patience,
            settle_limit: self.settle_limit,
        };
        Ok(TestWorker::run(parts, backends))
    }
}
