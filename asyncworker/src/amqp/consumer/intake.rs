//! AMQP deliveries as the dispatcher's generic adapter sees them, and the factory the code
//! `#[route(amqp = ...)]` generates calls.

use std::sync::Arc;

use super::handler::AmqpHandler;
use super::message::{Envelope, Message};
use super::settle::AmqpReceipt;
use crate::action::Mark;
use crate::codec::{Codec, Payload};
use crate::dispatch::{self, Factory, Intake};

/// The intake of AMQP routes: deliveries, settled with `basic.ack`/`reject`/`nack`.
pub(crate) struct AmqpIntake;

impl Intake for AmqpIntake {
    type Envelope = Envelope;
    type Receipt = AmqpReceipt;
    type Item<B: Send + 'static> = Message<B>;

    fn payload(envelope: &Envelope) -> Payload<'_> {
        Payload::amqp(&envelope.data, &envelope.properties)
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

    fn wrap<B: Send + 'static>(body: B, envelope: Envelope, mark: Mark) -> Message<B> {
        Message::new(body, envelope, mark)
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
        required_state,
        H::TAKES_ONE,
    ))
}
