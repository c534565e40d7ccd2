//! The typed adapter between a user's SSE handler and the dispatcher, and its erased form.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::event::{Envelope, Event};
use super::handler::SseHandler;
use crate::action::{Action, Mark};
use crate::app::App;
use crate::dispatch::{self, DispatchConfig, Inbound, Receipt, Route};
use crate::handler::{BoxError, StateRequirement};

/// What an SSE route's factory produces: the handler, ready to run, and what it needs.
#[doc(hidden)]
pub struct SseFactory {
    pub(crate) runner: Arc<dyn ErasedRoute>,
    pub(crate) required_state: Vec<StateRequirement>,
}

/// SSE has no acknowledgement: an event's fate is only counted. The dispatcher settles a
/// handled event with `Ack` and a failed one (error, panic, timeout) with `Reject`.
pub(crate) struct SseReceipt {
    pub(crate) counters: Arc<super::stream::StreamCounters>,
}

impl Receipt for SseReceipt {
    async fn settle_all(batch: Vec<(Self, Action)>) {
        for (r, action) in batch {
            match action {
                Action::Ack => r.counters.handled.inc(),
                Action::Reject | Action::Requeue => r.counters.failed.inc(),
            };
        }
    }
}

pub(crate) type Rx = mpsc::Receiver<Inbound<Envelope, SseReceipt>>;

pub(crate) trait ErasedRoute: Send + Sync + 'static {
    fn dispatcher(
        &self,
        cfg: Arc<DispatchConfig>,
        app: App,
        rx: Rx,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

struct Typed<H, Args> {
    handler: H,
    _args: PhantomData<fn() -> Args>,
}

impl<H, Args> Route for Typed<H, Args>
where
    H: SseHandler<Args>,
    Args: 'static,
{
    type Envelope = Envelope;
    type Body = H::Data;
    type Item = Event<H::Data>;

    fn decode(&self, envelope: &Envelope) -> Result<H::Data, String> {
        serde_json::from_str(&envelope.raw.data).map_err(|e| {
            envelope.counters.decode_error.inc();
            e.to_string()
        })
    }

    fn describe(envelope: &Envelope) -> String {
        let data = &envelope.raw.data;
        let mut end = data.len().min(64);
        while !data.is_char_boundary(end) {
            end -= 1;
        }
        format!(
            "path={} event={} id={:?} data[..{end}]={:?}",
            envelope.path,
            envelope.raw.name,
            envelope.raw.id,
            &data[..end]
        )
    }

    fn source(envelope: &Envelope) -> &Arc<str> {
        &envelope.path
    }

    fn wrap(body: H::Data, envelope: Envelope, _mark: Mark) -> Event<H::Data> {
        Event::new(body, envelope)
    }

    fn call(
        &self,
        app: &App,
        items: Vec<Event<H::Data>>,
    ) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'static>> {
        self.handler.call(app, items)
    }
}

impl<H, Args> ErasedRoute for Arc<Typed<H, Args>>
where
    H: SseHandler<Args>,
    Args: 'static,
{
    fn dispatcher(
        &self,
        cfg: Arc<DispatchConfig>,
        app: App,
        rx: Rx,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(dispatch::run::<Typed<H, Args>, SseReceipt>(
            Arc::clone(self),
            cfg,
            app,
            rx,
        ))
    }
}

/// Builds an SSE route's factory output; called by the code `#[route(sse = ...)]` generates.
#[doc(hidden)]
pub fn sse_factory<H, Args>(handler: H) -> SseFactory
where
    H: SseHandler<Args>,
    Args: 'static,
{
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    SseFactory {
        runner: Arc::new(Arc::new(Typed::<H, Args> {
            handler,
            _args: PhantomData,
        })),
        required_state,
    }
}
