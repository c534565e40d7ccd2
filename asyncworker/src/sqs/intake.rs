//! SQS messages as the dispatcher's generic adapter sees them, and the factory the code
//! `#[route(sqs = ...)]` generates calls.

use std::marker::PhantomData;
use std::sync::Arc;

use super::error_handler::SqsErrorHandler;
use super::handler::SqsHandler;
use super::message::{Envelope, SqsMessage};
use super::settle::SqsReceipt;
use crate::action::Mark;
use crate::codec::{Codec, Payload};
use crate::dispatch::{self, Factory, FailFn, Intake};
use crate::failure::RawMessage;

/// The intake of SQS routes: received messages, settled with `DeleteMessageBatch` and
/// `ChangeMessageVisibilityBatch`.
pub(crate) struct SqsIntake;

impl Intake for SqsIntake {
    type Envelope = Envelope;
    type Receipt = SqsReceipt;
    type Item<B: Send + 'static> = SqsMessage<B>;

    fn payload(envelope: &Envelope) -> Payload<'_> {
        Payload::from_slice(&envelope.body)
    }

    fn describe(envelope: &Envelope) -> String {
        let head = &envelope.body[..envelope.body.len().min(64)];
        format!(
            "queue={} message_id={} attempt={} body[..{}]={:?}",
            envelope.queue,
            envelope.message_id,
            envelope.receive_count,
            head.len(),
            String::from_utf8_lossy(head)
        )
    }

    fn source(envelope: &Envelope) -> &Arc<str> {
        &envelope.queue
    }

    fn wrap<B: Send + 'static>(body: B, envelope: Envelope, mark: Mark) -> SqsMessage<B> {
        SqsMessage::new(body, envelope, mark)
    }

    fn raw(envelope: Envelope, mark: Mark) -> RawMessage {
        RawMessage {
            body: envelope.body,
            source: envelope.queue,
            #[cfg(feature = "amqp")]
            properties: None,
            mark,
        }
    }
}

/// What an SQS route's factory produces: its handler behind the generic adapter.
#[doc(hidden)]
pub struct SqsFactory(pub(crate) Factory<SqsIntake>);

/// Builds a route's factory output, its bodies decoded by `C`; called by the code
/// `#[route(sqs = ...)]` generates, which picks `C` from the body type or the `codec` key.
#[doc(hidden)]
pub fn sqs_factory<const BULK: u16, C, H, Args>(handler: H) -> SqsFactory
where
    H: SqsHandler<Args, BULK>,
    C: Codec<H::Body>,
    Args: 'static,
{
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    SqsFactory(dispatch::factory::<SqsIntake, H::Body, C>(
        move |app, items| handler.call(app, items),
        None,
        required_state,
        H::TAKES_ONE,
    ))
}

/// A route's handler, typed, waiting for its error handler (see `AmqpTyped`).
#[doc(hidden)]
pub struct SqsTyped<const BULK: u16, C, H, Args>(H, PhantomData<fn() -> (C, Args)>);

/// The first call: the handler, checked against [`SqsHandler`].
#[doc(hidden)]
pub fn sqs_typed<const BULK: u16, C, H, Args>(handler: H) -> SqsTyped<BULK, C, H, Args>
where
    H: SqsHandler<Args, BULK>,
{
    SqsTyped(handler, PhantomData)
}

/// [`sqs_factory`] for a route with an `error_handler`.
#[doc(hidden)]
pub fn sqs_factory_with<const BULK: u16, C, H, Args, EH, EArgs>(
    typed: SqsTyped<BULK, C, H, Args>,
    error_handler: EH,
) -> SqsFactory
where
    H: SqsHandler<Args, BULK>,
    C: Codec<H::Body>,
    Args: 'static,
    EH: SqsErrorHandler<EArgs, H::Body>,
    EArgs: 'static,
{
    let handler = typed.0;
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    EH::required_state(&mut required_state);
    let on_failure: FailFn<SqsIntake, H::Body> =
        Box::new(move |app, failure, items| error_handler.call(app, failure, items));
    SqsFactory(dispatch::factory::<SqsIntake, H::Body, C>(
        move |app, items| handler.call(app, items),
        Some(on_failure),
        required_state,
        H::TAKES_ONE,
    ))
}
