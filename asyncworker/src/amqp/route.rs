//! The typed adapter between a user's handler and the dispatcher, and its erased form.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::handler::AmqpHandler;
use super::message::{Envelope, Message};
use super::settle::AmqpReceipt;
use crate::action::Mark;
use crate::app::App;
use crate::dispatch::{self, DispatchConfig, Inbound, Route};
use crate::handler::{BoxError, StateRequirement};

/// What a route's factory produces: the handler, ready to run, and what it needs.
#[doc(hidden)]
pub struct AmqpFactory {
    pub(crate) runner: Arc<dyn ErasedRoute>,
    pub(crate) required_state: Vec<StateRequirement>,
    pub(crate) takes_one: bool,
}

pub(crate) type Rx = mpsc::Receiver<Inbound<Envelope, AmqpReceipt>>;

pub(crate) trait ErasedRoute: Send + Sync + 'static {
    fn dispatcher(
        &self,
        cfg: Arc<DispatchConfig>,
        app: App,
        rx: Rx,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

struct Typed<H, Args, const BULK: u16> {
    handler: H,
    _args: PhantomData<fn() -> Args>,
}

impl<H, Args, const BULK: u16> Route for Typed<H, Args, BULK>
where
    H: AmqpHandler<Args, BULK>,
    Args: 'static,
{
    type Envelope = Envelope;
    type Body = H::Body;
    type Item = Message<H::Body>;

    fn decode(&self, envelope: &Envelope) -> Result<H::Body, String> {
        serde_json::from_slice(&envelope.data).map_err(|e| e.to_string())
    }

    fn describe(envelope: &Envelope) -> String {
        let head = &envelope.data[..envelope.data.len().min(64)];
        format!(
            "queue={} delivery_tag={} redelivered={} body[..{}]={:?}",
            envelope.queue,
            envelope.delivery_tag,
            envelope.redelivered,
            head.len(),
            String::from_utf8_lossy(head)
        )
    }

    fn source(envelope: &Envelope) -> &Arc<str> {
        &envelope.queue
    }

    fn wrap(body: H::Body, envelope: Envelope, mark: Mark) -> Message<H::Body> {
        Message::new(body, envelope, mark)
    }

    fn call(
        &self,
        app: &App,
        items: Vec<Message<H::Body>>,
    ) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'static>> {
        self.handler.call(app, items)
    }
}

impl<H, Args, const BULK: u16> ErasedRoute for Arc<Typed<H, Args, BULK>>
where
    H: AmqpHandler<Args, BULK>,
    Args: 'static,
{
    fn dispatcher(
        &self,
        cfg: Arc<DispatchConfig>,
        app: App,
        rx: Rx,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(dispatch::run::<Typed<H, Args, BULK>, AmqpReceipt>(
            Arc::clone(self),
            cfg,
            app,
            rx,
        ))
    }
}

/// Builds a route's factory output; called by the code `#[route(amqp = ...)]` generates.
#[doc(hidden)]
pub fn amqp_factory<const BULK: u16, H, Args>(handler: H) -> AmqpFactory
where
    H: AmqpHandler<Args, BULK>,
    Args: 'static,
{
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    AmqpFactory {
        runner: Arc::new(Arc::new(Typed::<H, Args, BULK> {
            handler,
            _args: PhantomData,
        })),
        required_state,
        takes_one: H::TAKES_ONE,
    }
}
