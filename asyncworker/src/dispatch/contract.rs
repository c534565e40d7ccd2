//! What the dispatcher asks of a backend: a [`Route`] to decode and call, a [`Receipt`] to
//! settle items with, [`Inbound`] items through a channel, and a [`DispatchConfig`].

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use crate::action::{Action, Mark};
use crate::app::App;
use crate::bulk::BulkOptions;
use crate::codec::DecodeError;
use crate::failure::{Failure, RawMessage};
use crate::handler::HandlerFuture;
use crate::observe::metrics::RouteMetrics;

/// A route as the dispatcher sees it: how to decode, wrap and call.
pub(crate) trait Route: Send + Sync + 'static {
    /// Backend metadata and raw payload of one item; cloned (before the handler takes it)
    /// only on routes with an error handler.
    type Envelope: Clone + Send + 'static;
    /// The decoded body.
    type Body: Send + 'static;
    /// What the handler receives per item.
    type Item: Send + 'static;

    /// The body of one item, or why it does not decode (it then never reaches the handler).
    /// The one place bodies are decoded: the caller still holds the raw item on an error.
    fn decode(&self, envelope: &Self::Envelope) -> Result<Self::Body, DecodeError>;
    /// Where an item came from and its first bytes, for the decode-error log line.
    fn describe(envelope: &Self::Envelope) -> String;
    /// The queue or stream an item came from, for metrics labels.
    fn source(envelope: &Self::Envelope) -> &Arc<str>;
    /// What the handler receives for one decoded item; `mark` lets it choose the item's fate.
    fn wrap(body: Self::Body, envelope: Self::Envelope, mark: Mark) -> Self::Item;
    /// Calls the handler with one bulk.
    fn call(&self, app: &App, items: Vec<Self::Item>) -> HandlerFuture;
    /// An item that did not decode, as its error handler receives it.
    fn raw(envelope: Self::Envelope, mark: Mark) -> RawMessage;
    /// Whether the route has an error handler.
    fn has_error_handler(&self) -> bool;
    /// Calls the route's error handler with a failed bulk, rebuilt; `None` without one.
    fn on_failure(
        &self,
        app: &App,
        failure: Failure,
        items: Vec<Self::Item>,
    ) -> Option<HandlerFuture>;
    /// The trace context of an item's producer, if it carries one.
    #[cfg(feature = "otel")]
    fn remote(_envelope: &Self::Envelope) -> Option<opentelemetry::Context> {
        None
    }
}

/// Settles items with the backend. Implementations batch per channel.
pub(crate) trait Receipt: Send + Sized + 'static {
    /// Settles every item of `batch` with its action.
    fn settle_all(batch: Vec<(Self, Action)>) -> impl Future<Output = ()> + Send;

    /// The items of a failed call that the handler did not mark, with the route's
    /// `on_exception` action. A backend may send them elsewhere (AMQP: a delayed retry or a
    /// parking queue); it returns the action each item was finally settled with, in order.
    fn settle_failed(
        batch: Vec<(Self, Action)>,
        error: Arc<str>,
    ) -> impl Future<Output = Vec<Action>> + Send {
        let _ = error;
        async move {
            let actions = batch.iter().map(|(_, a)| *a).collect();
            Self::settle_all(batch).await;
            actions
        }
    }
}

/// One item on its way to a handler.
pub(crate) struct Inbound<E, R> {
    pub(crate) envelope: E,
    pub(crate) receipt: R,
}

/// How a route's bulks are formed and handled.
#[derive(Debug, Clone)]
pub(crate) struct DispatchConfig {
    /// The route's name, in logs and metrics.
    pub(crate) route: Arc<str>,
    /// The route's queues or streams, comma-separated, for the handler's span.
    pub(crate) sources: Arc<str>,
    pub(crate) bulk_size: usize,
    pub(crate) bulk_flush: Duration,
    pub(crate) concurrency: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) actions: Actions,
    pub(crate) metrics: RouteMetrics,
    /// Items the dispatcher took and has not settled yet (decoding, in the bucket, in a
    /// handler call, being settled): `--drain` waits for none.
    pub(crate) held: Arc<AtomicUsize>,
}

/// The fate of the items a handler did not mark, by how they ended.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actions {
    /// After the handler returned `Ok`.
    pub(crate) on_success: Action,
    /// After it failed (error, panic or timeout).
    pub(crate) on_exception: Action,
    /// For an item whose body does not decode.
    pub(crate) on_decode_error: Action,
}

impl DispatchConfig {
    /// The configuration of route `route` reading `sources`, from its resolved bulk options.
    pub(crate) fn new(
        route: &str,
        sources: &[impl AsRef<str>],
        bulk: &BulkOptions,
        actions: Actions,
        metrics: RouteMetrics,
    ) -> DispatchConfig {
        let sources: Vec<&str> = sources.iter().map(AsRef::as_ref).collect();
        DispatchConfig {
            route: Arc::from(route),
            sources: Arc::from(sources.join(",")),
            bulk_size: usize::from(bulk.bulk_size.max(1)),
            bulk_flush: Duration::from_millis(bulk.bulk_flush_ms.max(1)),
            concurrency: usize::from(bulk.concurrency.max(1)),
            timeout: bulk.timeout_ms.map(Duration::from_millis),
            actions,
            metrics,
            held: Arc::default(),
        }
    }
}
