//! The order of a FIFO queue's message groups: one message of a group at a time between
//! receive and settlement, the next one of the group only once it is settled. SQS hands out a
//! group's messages in order (and several in one receive); this keeps our bulks and
//! concurrent handler calls from reordering them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::message::Envelope;
use super::settle::SqsReceipt;
use crate::dispatch::Inbound;
use crate::sync::lock;

/// A message on its way to the route's dispatcher.
pub(crate) type SqsInbound = Inbound<Envelope, SqsReceipt>;

/// What happens to a group once its message in flight is settled.
pub(crate) enum Next {
    /// Nothing waits.
    Idle,
    /// The next message of the group goes to the dispatcher.
    Forward(Box<SqsInbound>),
    /// The message in flight will come again (requeued or retried): the ones behind it must
    /// too, after it, so they are handed back to SQS.
    GiveBack(Vec<Envelope>),
}

/// The groups with a message in flight, each with the messages received behind it.
#[derive(Default)]
pub(crate) struct GroupGate {
    groups: Mutex<HashMap<Arc<str>, VecDeque<SqsInbound>>>,
    /// Where forwarded messages go; taken away at shutdown (the waiting ones are then given
    /// back with every other held message).
    dispatcher: Mutex<Option<mpsc::Sender<SqsInbound>>>,
}

impl GroupGate {
    pub(crate) fn new(dispatcher: mpsc::Sender<SqsInbound>) -> GroupGate {
        GroupGate {
            groups: Mutex::default(),
            dispatcher: Mutex::new(Some(dispatcher)),
        }
    }

    /// A just-received message: `Some` if it may go to the dispatcher now, `None` if it waits
    /// behind an earlier one of its group.
    pub(crate) fn admit(&self, inbound: SqsInbound) -> Option<SqsInbound> {
        let Some(group) = inbound.envelope.group_id.clone() else {
            return Some(inbound);
        };
        let mut groups = lock(&self.groups);
        match groups.get_mut(&group) {
            Some(waiting) => {
                waiting.push_back(inbound);
                None
            }
            None => {
                groups.insert(group, VecDeque::new());
                Some(inbound)
            }
        }
    }

    /// The message of `group` in flight is settled; `done`: deleted or dead-lettered (the
    /// group moves on), else it will be received again.
    pub(crate) fn settled(&self, group: &Arc<str>, done: bool) -> Next {
        let mut groups = lock(&self.groups);
        let Some(waiting) = groups.get_mut(group) else {
            return Next::Idle;
        };
        if done && let Some(next) = waiting.pop_front() {
            return Next::Forward(Box::new(next));
        }
        let rest = groups.remove(group).unwrap_or_default();
        if rest.is_empty() {
            Next::Idle
        } else {
            Next::GiveBack(rest.into_iter().map(|i| i.envelope).collect())
        }
    }

    /// Hands `next` to the dispatcher, off the settling task (which the dispatcher may be
    /// waiting for). At shutdown it stays held, and is given back with the rest.
    pub(crate) fn forward(&self, next: Box<SqsInbound>) {
        if let Some(tx) = lock(&self.dispatcher).clone() {
            tokio::spawn(async move {
                let _ = tx.send(*next).await;
            });
        }
    }

    /// Stops forwarding: the dispatcher is closing.
    pub(crate) fn close(&self) {
        lock(&self.dispatcher).take();
    }
}
