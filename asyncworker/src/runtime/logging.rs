//! The tracing subscriber a worker installs: filter, format, which stream the logs use, and the
//! user's own layers beside ours.

use tracing_subscriber::layer::{Layer, SubscriberExt as _};
use tracing_subscriber::registry::Registry;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, fmt};

use crate::settings::{LogFormat, Settings};

/// A layer of the user's own (Sentry, OpenTelemetry, a counter...) installed beside
/// asyncworker's log output: see [`TracingLayers`].
pub type TracingLayer = Box<dyn Layer<Registry> + Send + Sync>;

/// Builds the user's layers when the worker installs its subscriber: the `tracing_layers` key
/// of [`main!`](crate::main), or [`Settings::tracing_layers`] for [`run_with`](crate::run_with).
///
/// The layers sit under the same filter as the logs (`ASYNCWORKER_LOG`, then `RUST_LOG`,
/// then `info`): they see exactly the events and spans the log output shows, and the log
/// output stays as it is without them.
///
/// ```
/// use asyncworker::runtime::TracingLayer;
/// use tracing_subscriber::Layer;
/// # use asyncworker::prelude::*;
/// # #[route(amqp = ["q"])] async fn h(_m: Vec<Message<u8>>) {}
///
/// /// Counts error events (a stand-in for a Sentry or OpenTelemetry layer).
/// struct Errors;
///
/// impl<S: tracing::Subscriber> Layer<S> for Errors {
///     fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
///         if *e.metadata().level() == tracing::Level::ERROR {
///             // report it somewhere
///         }
///     }
/// }
///
/// fn layers() -> Vec<TracingLayer> {
///     vec![Errors.boxed()]
/// }
///
/// asyncworker::main!(tracing_layers = layers);
/// ```
pub type TracingLayers = fn() -> Vec<TracingLayer>;

/// Where the logs go.
#[derive(Clone, Copy)]
pub(super) enum Output {
    /// A running worker: stdout, where a service manager collects it.
    Stdout,
    /// `--check`: its report owns stdout.
    Stderr,
}

/// Our log output, placed over the user's layers.
type LogLayer = Box<
    dyn Layer<tracing_subscriber::layer::Layered<Option<Vec<TracingLayer>>, Registry>>
        + Send
        + Sync,
>;

/// Installs the subscriber the settings ask for (filter from `log`, `log_format`, the user's
/// `tracing_layers`), writing to `output`.
pub(super) fn init_tracing(settings: &Settings, output: Output) {
    let filter = settings
        .log
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    // None rather than an empty Vec: a Vec of no layers declares no interest in any
    // callsite, which would silence our logs too.
    #[allow(unused_mut)] // without `otel`
    let mut layers = settings
        .tracing_layers
        .map(|make| make())
        .unwrap_or_default();
    #[cfg(feature = "otel")]
    layers.extend(crate::otel::layer());
    let user = Some(layers).filter(|layers| !layers.is_empty());
    let log: LogLayer = match (settings.log_format, output) {
        (LogFormat::Json, Output::Stdout) => fmt::layer().json().boxed(),
        (LogFormat::Pretty, Output::Stdout) => fmt::layer().boxed(),
        (LogFormat::Json, Output::Stderr) => {
            fmt::layer().json().with_writer(std::io::stderr).boxed()
        }
        (LogFormat::Pretty, Output::Stderr) => fmt::layer().with_writer(std::io::stderr).boxed(),
    };
    // The filter is global (not per layer), as it was before user layers existed: callsites
    // it turns off cost nothing in any layer. try_init: a subscriber the user installed first
    // is kept.
    // lapin's ERROR for each refused lease poll of a standby (see `amqp::lease_log`).
    #[cfg(all(feature = "amqp", feature = "schedule"))]
    let quiet = Some(crate::amqp::lease_log::QuietLeasePolls);
    #[cfg(not(all(feature = "amqp", feature = "schedule")))]
    let quiet: Option<tracing_subscriber::layer::Identity> = None;
    let _ = Registry::default()
        .with(user)
        .with(log)
        .with(quiet)
        .with(filter)
        .try_init();
    #[cfg(feature = "otel")]
    crate::otel::log_state();
}
