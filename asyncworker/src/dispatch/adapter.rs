//! The typed adapter between a user's handler and the dispatcher, and its type-erased form,
//! shared by every consumer backend: a backend describes its items once (an [`Intake`]), and
//! a route's factory erases the handler's types behind [`ErasedRoute`].

use std::marker::PhantomData;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::contract::{DispatchConfig, Inbound, Receipt, Route};
use crate::action::Mark;
use crate::app::App;
use crate::codec::{Codec, DecodeError, Payload};
use crate::failure::{Failure, RawMessage};
use crate::future::BoxFuture;
use crate::handler::{HandlerFuture, StateRequirement};

/// What a consumer backend's items are: their envelope, their receipt, and what a handler
/// receives for one of them.
pub(crate) trait Intake: Send + Sync + 'static {
    /// Backend metadata and raw payload of one item.
    type Envelope: Clone + Send + 'static;
    /// How an item is settled with the backend.
    type Receipt: Receipt;
    /// What the handler receives per item, with its body decoded into `B`.
    type Item<B: Send + 'static>: Send + 'static;

    /// What the body is decoded from (by the route's codec).
    fn payload(envelope: &Self::Envelope) -> Payload<'_>;
    /// Where an item came from and its first bytes, for the decode-error log line.
    fn describe(envelope: &Self::Envelope) -> String;
    /// The queue or stream an item came from, for metrics labels.
    fn source(envelope: &Self::Envelope) -> &Arc<str>;
    /// The handler's view of one decoded item.
    fn wrap<B: Send + 'static>(body: B, envelope: Self::Envelope, mark: Mark) -> Self::Item<B>;
    /// An item that did not decode, as the error handler receives it.
    fn raw(envelope: Self::Envelope, mark: Mark) -> RawMessage;
    /// The trace context of an item's producer, if it carries one.
    #[cfg(feature = "otel")]
    fn remote(_envelope: &Self::Envelope) -> Option<opentelemetry::Context> {
        None
    }
}

/// The channel a backend feeds one route's dispatcher through.
pub(crate) type Rx<I> = mpsc::Receiver<Inbound<<I as Intake>::Envelope, <I as Intake>::Receipt>>;

/// A handler, called with a bulk of items whose bodies are `B`.
type CallFn<I, B> =
    Box<dyn Fn(&App, Vec<<I as Intake>::Item<B>>) -> HandlerFuture + Send + Sync + 'static>;

/// An error handler, called with how a bulk failed and the bulk.
pub(crate) type FailFn<I, B> = Box<
    dyn Fn(&App, Failure, Vec<<I as Intake>::Item<B>>) -> HandlerFuture + Send + Sync + 'static,
>;

/// A route with its handler's types known: the dispatcher's [`Route`] for intake `I`, whose
/// bodies `B` codec `C` decodes (a type parameter: no dynamic dispatch per item).
struct Typed<I: Intake, B: Send + 'static, C> {
    call: CallFn<I, B>,
    on_failure: Option<FailFn<I, B>>,
    _types: PhantomData<fn() -> (I, C)>,
}

impl<I: Intake, B: Send + 'static, C: Codec<B>> Route for Typed<I, B, C> {
    type Envelope = I::Envelope;
    type Body = B;
    type Item = I::Item<B>;

    fn decode(&self, envelope: &I::Envelope) -> Result<B, DecodeError> {
        C::decode(I::payload(envelope))
    }

    fn describe(envelope: &I::Envelope) -> String {
        I::describe(envelope)
    }

    fn source(envelope: &I::Envelope) -> &Arc<str> {
        I::source(envelope)
    }

    fn wrap(body: B, envelope: I::Envelope, mark: Mark) -> I::Item<B> {
        I::wrap(body, envelope, mark)
    }

    fn call(&self, app: &App, items: Vec<I::Item<B>>) -> HandlerFuture {
        (self.call)(app, items)
    }

    fn raw(envelope: I::Envelope, mark: Mark) -> RawMessage {
        I::raw(envelope, mark)
    }

    fn has_error_handler(&self) -> bool {
        self.on_failure.is_some()
    }

    fn on_failure(
        &self,
        app: &App,
        failure: Failure,
        items: Vec<I::Item<B>>,
    ) -> Option<HandlerFuture> {
        self.on_failure.as_ref().map(|f| f(app, failure, items))
    }

    #[cfg(feature = "otel")]
    fn remote(envelope: &I::Envelope) -> Option<opentelemetry::Context> {
        I::remote(envelope)
    }
}

/// A route whose handler's types are erased: it only starts its dispatcher.
pub(crate) trait ErasedRoute<I: Intake>: Send + Sync + 'static {
    /// The dispatcher of this route, reading `rx` until it closes.
    fn dispatcher(&self, cfg: Arc<DispatchConfig>, app: App, rx: Rx<I>) -> BoxFuture<'static, ()>;
}

impl<I: Intake, B: Send + 'static, C: Codec<B>> ErasedRoute<I> for Arc<Typed<I, B, C>> {
    fn dispatcher(&self, cfg: Arc<DispatchConfig>, app: App, rx: Rx<I>) -> BoxFuture<'static, ()> {
        Box::pin(super::run::<Typed<I, B, C>, I::Receipt>(
            Arc::clone(self),
            cfg,
            app,
            rx,
        ))
    }
}

/// What a consumer route's factory produces: the handler, ready to run, and what it needs.
pub(crate) struct Factory<I: Intake> {
    pub(crate) runner: Arc<dyn ErasedRoute<I>>,
    pub(crate) required_state: Vec<StateRequirement>,
    /// The handler takes one item rather than a `Vec` (AMQP's `Message<T>`).
    pub(crate) takes_one: bool,
    /// The content type of the bodies, as the codec names it (for the AsyncAPI document).
    pub(crate) content_type: Option<&'static str>,
}

/// A route's factory output from its handler's call, once typed by the backend's handler
/// trait, decoding its bodies with `C`.
pub(crate) fn factory<I: Intake, B: Send + 'static, C: Codec<B>>(
    call: impl Fn(&App, Vec<I::Item<B>>) -> HandlerFuture + Send + Sync + 'static,
    on_failure: Option<FailFn<I, B>>,
    required_state: Vec<StateRequirement>,
    takes_one: bool,
) -> Factory<I> {
    let typed = Typed::<I, B, C> {
        call: Box::new(call),
        on_failure,
        _types: PhantomData,
    };
    Factory {
        runner: Arc::new(Arc::new(typed)),
        required_state,
        takes_one,
        content_type: C::MEDIA_TYPE,
    }
}
