//! What the runtime asks of every backend (AMQP consumers, HTTP server, SSE consumers, ...).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::handler::StateRequirement;
use crate::registry::RouteProblem;

/// What preparing a backend gives: the backend (`None` when it has nothing to run), or every
/// problem found in its routes, not just the first.
pub(crate) type Preparation = Result<Option<Box<dyn Backend>>, Vec<RouteProblem>>;

/// A state type a route needs: (route name, `file:line`, the requirement).
pub(crate) type StateNeed = (&'static str, String, StateRequirement);

/// `def`'s state needs, labelled with its name and location.
pub(crate) fn state_needs<'a>(
    def: &'a impl crate::registry::RouteDef,
    needs: &'a [StateRequirement],
) -> impl Iterator<Item = StateNeed> + 'a {
    needs.iter().map(move |s| (def.name(), def.location(), *s))
}

/// One line of `--check`: what was verified for one route (or one part of a backend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckLine {
    /// Whether this part would work.
    pub(crate) ok: bool,
    /// `"<kind> <route>: <what was checked and found>"`.
    pub(crate) line: String,
}

/// The future [`Backend::check`] returns.
pub(crate) type CheckFuture<'a> = Pin<Box<dyn Future<Output = Vec<CheckLine>> + Send + 'a>>;

/// One kind of intake, prepared from the registry and the settings.
pub(crate) trait Backend: Send {
    /// `"amqp"`, `"http"`, `"sse"`: used in logs and `--only`.
    fn kind(&self) -> &'static str;

    /// One line per route for `--routes` and the startup log.
    fn describe(&self) -> Vec<String>;

    /// The state the routes' extractors need, checked when startup hooks are done.
    fn required_state(&self) -> Vec<StateNeed> {
        Vec::new()
    }

    /// `--check`: verifies, as far as this backend can without consuming anything, that its
    /// routes would work (the broker answers and queues exist, a port can be bound, ...).
    fn check<'a>(&'a self, app: &'a App) -> CheckFuture<'a> {
        let _ = app;
        let lines = self
            .describe()
            .into_iter()
            .map(|line| CheckLine {
                ok: true,
                line: format!("{line} (nothing to check)"),
            })
            .collect();
        Box::pin(async move { lines })
    }

    /// `--asyncapi`: writes this backend's servers, channels and operations into `doc`.
    fn asyncapi(&self, doc: &mut crate::docs::asyncapi::AsyncApi) {
        let _ = doc;
    }

    /// `--openapi`: the OpenAPI document of this backend's routes (the HTTP server's), as it
    /// serves it; `None` for other backends.
    fn openapi(&self) -> Option<std::sync::Arc<str>> {
        None
    }

    /// `--topology`: the broker objects (queues, exchanges, bindings) this backend's routes
    /// declare or expect, or `None` if it has none.
    fn topology(&self) -> Option<BrokerDefinitions> {
        None
    }

    /// `--drain`: what tells whether this backend has run out of work, or `None` if it cannot
    /// (an HTTP server never does; it only runs alongside the drained backends).
    fn drain_probe(&self) -> Option<Box<dyn DrainProbe>> {
        None
    }

    /// Runs until `stop`, then drains within `deadline`. An `Err` means the backend failed on
    /// its own (not because of `stop`), which stops the whole worker.
    fn run(
        self: Box<Self>,
        app: App,
        stop: CancellationToken,
        deadline: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'static>>;
}

/// What `--topology` prints: a broker's definitions document (RabbitMQ's format), and notes
/// on what it leaves out, for stderr.
pub(crate) struct BrokerDefinitions {
    pub(crate) document: serde_json::Value,
    pub(crate) notes: Vec<String>,
}

/// The future [`DrainProbe::poll`] returns.
pub(crate) type PollFuture<'a> = Pin<Box<dyn Future<Output = Result<Drained, String>> + Send + 'a>>;

/// Asked repeatedly under `--drain`, while the backend runs, whether everything it consumes is
/// done. `Err`: a route can never drain (its queue does not exist), which fails the run.
pub(crate) trait DrainProbe: Send {
    fn poll(&mut self) -> PollFuture<'_>;
}

/// One answer of a [`DrainProbe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Drained {
    /// Nothing is waiting and nothing is in flight.
    Yes,
    /// Still at work: what is left, for the progress log (`"route orders: 120 ready"`).
    No(String),
}
