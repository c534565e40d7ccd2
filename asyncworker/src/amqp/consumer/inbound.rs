//! One delivery made into what the dispatcher takes: the envelope the handler's message
//! reads, and the receipt that settles it (with a copy for the retry path when the route
//! retries). Both transports, RabbitMQ and the in-memory broker, go through here.

use std::sync::Arc;

use lapin::BasicProperties;
use lapin::types::ShortString;

use super::acker::Acker;
use super::message::Envelope;
use super::poison::PoisonGuard;
use super::settle::{AmqpReceipt, SettlerHandle};
use crate::amqp::retry::{Original, RetryPolicy};
use crate::dispatch::Inbound;

/// A delivery as a transport hands it over.
pub(crate) struct Delivered {
    pub(crate) exchange: ShortString,
    pub(crate) routing_key: ShortString,
    pub(crate) redelivered: bool,
    pub(crate) delivery_tag: u64,
    pub(crate) properties: BasicProperties,
    pub(crate) data: bytes::Bytes,
    pub(crate) acker: Acker,
}

/// Where a delivery sits: its queue, its place in the channel's order (`seq`, `epoch`), the
/// settler of that channel, and the route's retry policy or poison guard for the queue.
pub(crate) struct Place<'a> {
    pub(crate) queue: &'a Arc<str>,
    pub(crate) seq: u64,
    pub(crate) epoch: u32,
    pub(crate) settler: &'a Arc<SettlerHandle>,
    pub(crate) retry: Option<&'a Arc<RetryPolicy>>,
    pub(crate) guard: Option<&'a Arc<PoisonGuard>>,
}

impl Delivered {
    /// The dispatcher's item for this delivery at `place`.
    pub(crate) fn inbound(self, place: Place<'_>) -> Inbound<Box<Envelope>, AmqpReceipt> {
        // The handler owns the message: the retry path and the poison guard keep what they
        // would republish or recognise it by.
        let guarded = place
            .guard
            .is_some_and(|g| g.needs_original(self.redelivered));
        let original = (place.retry.is_some() || guarded).then(|| {
            Box::new(Original {
                data: self.data.clone(),
                properties: self.properties.clone(),
                exchange: self.exchange.clone(),
                routing_key: self.routing_key.clone(),
                redelivered: self.redelivered,
            })
        });
        let receipt = AmqpReceipt {
            settler: Arc::clone(place.settler),
            seq: place.seq,
            epoch: place.epoch,
            acker: self.acker,
            retry: place.retry.map(Arc::clone),
            guard: place.guard.map(Arc::clone),
            original,
        };
        let envelope = Box::new(Envelope {
            queue: Arc::clone(place.queue),
            exchange: self.exchange,
            routing_key: self.routing_key,
            redelivered: self.redelivered,
            delivery_tag: self.delivery_tag,
            properties: self.properties,
            data: self.data,
        });
        Inbound { envelope, receipt }
    }
}
