//! Server-sent events as the dispatcher's generic adapter sees them, and the factory the code
//! `#[route(sse = ...)]` generates calls.

use std::marker::PhantomData;
use std::sync::Arc;

use super::error_handler::SseErrorHandler;
use super::event::{Envelope, Event};
use super::handler::SseHandler;
use crate::action::{Action, Mark};
use crate::codec::{Codec, Payload};
use crate::dispatch::{self, Factory, FailFn, Intake, Receipt};
use crate::failure::RawMessage;

/// The intake of SSE routes: events, which have nothing to settle.
pub(crate) struct SseIntake;

/// SSE has no acknowledgement: the dispatcher counts an event's fate (in the route's message
/// metrics, like any consumer's) and there is nothing to tell the server. Under the testing
/// harness it counts down the events a test sent and are not settled yet.
#[derive(Default)]
pub(crate) struct SseReceipt {
    #[cfg(feature = "testing")]
    outstanding: Option<Arc<crate::clock::virtual_clock::Gauge>>,
}

impl SseReceipt {
    /// A receipt that counts `outstanding` down when settled.
    #[cfg(feature = "testing")]
    pub(crate) fn counted(outstanding: Arc<crate::clock::virtual_clock::Gauge>) -> SseReceipt {
        SseReceipt {
            outstanding: Some(outstanding),
        }
    }
}

impl Receipt for SseReceipt {
    async fn settle_all(batch: Vec<(Self, Action)>) {
        #[cfg(feature = "testing")]
        for (receipt, _) in &batch {
            if let Some(o) = &receipt.outstanding {
                o.add(-1);
            }
        }
        let _ = batch;
    }
}

impl Intake for SseIntake {
    type Envelope = Envelope;
    type Receipt = SseReceipt;
    type Item<B: Send + 'static> = Event<B>;

    fn payload(envelope: &Envelope) -> Payload<'_> {
        Payload::from_slice(envelope.raw.data.as_bytes())
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

    fn wrap<B: Send + 'static>(body: B, envelope: Envelope, _mark: Mark) -> Event<B> {
        Event::new(body, envelope)
    }

    fn raw(envelope: Envelope, mark: Mark) -> RawMessage {
        RawMessage {
            body: bytes::Bytes::from(envelope.raw.data),
            source: envelope.path,
            #[cfg(feature = "amqp")]
            properties: None,
            mark,
        }
    }
}

/// What an SSE route's factory produces: its handler behind the generic adapter.
#[doc(hidden)]
pub struct SseFactory(pub(crate) Factory<SseIntake>);

/// Builds an SSE route's factory output, each event's data decoded by `C`; called by the code
/// `#[route(sse = ...)]` generates, which picks `C` from the data type.
#[doc(hidden)]
pub fn sse_factory<C, H, Args>(handler: H) -> SseFactory
where
    H: SseHandler<Args>,
    C: Codec<H::Data>,
    Args: 'static,
{
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    SseFactory(dispatch::factory::<SseIntake, H::Data, C>(
        move |app, items| handler.call(app, items),
        None,
        required_state,
        false,
    ))
}

/// A route's handler, typed, waiting for its error handler (see `AmqpTyped`).
#[doc(hidden)]
pub struct SseTyped<C, H, Args>(H, PhantomData<fn() -> (C, Args)>);

/// The first call: the handler, checked against [`SseHandler`].
#[doc(hidden)]
pub fn sse_typed<C, H, Args>(handler: H) -> SseTyped<C, H, Args>
where
    H: SseHandler<Args>,
{
    SseTyped(handler, PhantomData)
}

/// [`sse_factory`] for a route with an `error_handler`; called by the code
/// `#[route(sse = ..., error_handler = ...)]` generates.
#[doc(hidden)]
pub fn sse_factory_with<C, H, Args, EH, EArgs>(
    typed: SseTyped<C, H, Args>,
    error_handler: EH,
) -> SseFactory
where
    H: SseHandler<Args>,
    C: Codec<H::Data>,
    Args: 'static,
    EH: SseErrorHandler<EArgs, H::Data>,
    EArgs: 'static,
{
    let handler = typed.0;
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    EH::required_state(&mut required_state);
    let on_failure: FailFn<SseIntake, H::Data> =
        Box::new(move |app, failure, items| error_handler.call(app, failure, items));
    SseFactory(dispatch::factory::<SseIntake, H::Data, C>(
        move |app, items| handler.call(app, items),
        Some(on_failure),
        required_state,
        false,
    ))
}
