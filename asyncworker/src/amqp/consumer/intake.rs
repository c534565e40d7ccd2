//! AMQP deliveries as the dispatcher's generic adapter sees them, and the factory the code
//! `#[route(amqp = ...)]` generates calls.

use std::marker::PhantomData;
use std::sync::Arc;

use super::error_handler::AmqpErrorHandler;
use super::handler::AmqpHandler;
use super::message::{Envelope, Message};
use super::settle::AmqpReceipt;
use crate::action::Mark;
use crate::codec::{Codec, Payload};
use crate::dispatch::{self, Factory, FailFn, Intake};
use crate::failure::RawMessage;

/// The intake of AMQP routes: deliveries, settled with `basic.ack`/`reject`/`nack`.
pub(crate) struct AmqpIntake;

impl Intake for AmqpIntake {
    /// Boxed: an envelope (its AMQP properties most of all) is about 400 bytes, and an item
    /// is moved half a dozen times between the channel and the handler (into the dispatcher's
    /// channel, the bucket, the call's `Vec`, the message): one allocation is cheaper than
    /// copying it each time.
    type Envelope = Box<Envelope>;
    type Receipt = AmqpReceipt;
    type Item<B: Send + 'static> = Message<B>;

    fn payload(envelope: &Box<Envelope>) -> Payload<'_> {
        Payload::amqp(&envelope.data, &envelope.properties)
    }

    fn describe(envelope: &Box<Envelope>) -> String {
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

    fn source(envelope: &Box<Envelope>) -> &Arc<str> {
        &envelope.queue
    }

    #[cfg(feature = "otel")]
    fn remote(envelope: &Box<Envelope>) -> Option<opentelemetry::Context> {
        crate::otel::remote_of_amqp(&envelope.properties)
    }

    fn wrap<B: Send + 'static>(body: B, envelope: Box<Envelope>, mark: Mark) -> Message<B> {
        Message::new(body, envelope, mark)
    }

    fn raw(envelope: Box<Envelope>, mark: Mark) -> RawMessage {
        let envelope = *envelope;
        RawMessage {
            body: envelope.data,
            source: envelope.queue,
            properties: Some(Box::new(envelope.properties)),
            mark,
        }
    }
}

/// What an AMQP route's factory produces: its handler behind the generic adapter.
#[doc(hidden)]
pub struct AmqpFactory(pub(crate) Factory<AmqpIntake>);

/// Builds a route's factory output, its bodies decoded by `C`; called by the code
/// `#[route(amqp = ...)]` generates, which picks `C` from the body type or the `codec` key.
#[doc(hidden)]
pub fn amqp_factory<const BULK: u16, C, H, Args>(handler: H) -> AmqpFactory
where
    H: AmqpHandler<Args, BULK>,
    C: Codec<H::Body>,
    Args: 'static,
{
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    AmqpFactory(dispatch::factory::<AmqpIntake, H::Body, C>(
        move |app, items| handler.call(app, items),
        None,
        required_state,
        H::TAKES_ONE,
    ))
}

/// A route's handler, typed, waiting for its error handler: what the code
/// `#[route(amqp = ..., error_handler = ...)]` generates passes to [`amqp_factory_with`], in
/// two calls so that a handler that fits no form is reported at its name and an error handler
/// that fits none at its path.
#[doc(hidden)]
pub struct AmqpTyped<const BULK: u16, C, H, Args>(H, PhantomData<fn() -> (C, Args)>);

/// The first call: the handler, checked against [`AmqpHandler`].
#[doc(hidden)]
pub fn amqp_typed<const BULK: u16, C, H, Args>(handler: H) -> AmqpTyped<BULK, C, H, Args>
where
    H: AmqpHandler<Args, BULK>,
{
    AmqpTyped(handler, PhantomData)
}

/// [`amqp_factory`] for a route with an `error_handler`.
#[doc(hidden)]
pub fn amqp_factory_with<const BULK: u16, C, H, Args, EH, EArgs>(
    typed: AmqpTyped<BULK, C, H, Args>,
    error_handler: EH,
) -> AmqpFactory
where
    H: AmqpHandler<Args, BULK>,
    C: Codec<H::Body>,
    Args: 'static,
    EH: AmqpErrorHandler<EArgs, H::Body>,
    EArgs: 'static,
{
    let handler = typed.0;
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    EH::required_state(&mut required_state);
    let on_failure: FailFn<AmqpIntake, H::Body> =
        Box::new(move |app, failure, items| error_handler.call(app, failure, items));
    AmqpFactory(dispatch::factory::<AmqpIntake, H::Body, C>(
        move |app, items| handler.call(app, items),
        Some(on_failure),
        required_state,
        H::TAKES_ONE,
    ))
}
