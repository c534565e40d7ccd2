//! The SSE backend's in-memory feed, for the testing harness (feature `testing`): a test
//! hands events to a route's dispatcher by path, with no server and no stream; the dispatcher,
//! bulks, handler calls and metrics are the ones a stream feeds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::event::Envelope;
use super::intake::SseReceipt;
use super::parser::RawEvent;
use crate::clock::virtual_clock::Gauge;
use crate::dispatch::Inbound;

type Item = Inbound<Envelope, SseReceipt>;

/// The feeds of every SSE route of a harness, by path; put on the application handle by the
/// harness, where the SSE backend finds it.
#[derive(Default)]
pub(crate) struct MemoryFeeds {
    senders: Mutex<HashMap<Arc<str>, Vec<mpsc::UnboundedSender<Item>>>>,
    /// Receivers registered at preparation, taken by each route's run, by route name.
    waiting: Mutex<HashMap<Arc<str>, mpsc::UnboundedReceiver<Item>>>,
    /// Events sent and not yet settled by their dispatcher.
    pub(crate) outstanding: Arc<Gauge>,
}

impl MemoryFeeds {
    /// Registers route `route`, fed on `paths`; its run takes the feed with [`Self::take`].
    pub(crate) fn register(&self, route: &Arc<str>, paths: &[Arc<str>]) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut senders = lock(&self.senders);
        for p in paths {
            senders.entry(Arc::clone(p)).or_default().push(tx.clone());
        }
        lock(&self.waiting).insert(Arc::clone(route), rx);
    }

    /// The feed of route `route`.
    pub(crate) fn take(&self, route: &str) -> Option<mpsc::UnboundedReceiver<Item>> {
        lock(&self.waiting).remove(route)
    }

    /// Sends one event to every route that reads `path`; returns how many took it.
    pub(crate) fn send(&self, path: &str, name: &str, id: Option<&str>, data: &str) -> usize {
        let senders = lock(&self.senders);
        let Some((path, routes)) = senders.get_key_value(path) else {
            return 0;
        };
        let mut taken = 0;
        for tx in routes {
            let envelope = Envelope {
                path: Arc::clone(path),
                raw: RawEvent {
                    name: name.to_owned(),
                    id: id.unwrap_or_default().to_owned(),
                    data: data.to_owned(),
                },
            };
            let receipt = SseReceipt::counted(Arc::clone(&self.outstanding));
            self.outstanding.add(1);
            if tx.send(Inbound { envelope, receipt }).is_ok() {
                taken += 1;
            }
        }
        taken
    }

    /// The paths routes read, for error messages.
    pub(crate) fn paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = lock(&self.senders).keys().map(|p| p.to_string()).collect();
        paths.sort();
        paths
    }

    /// Closes every feed: the dispatchers hand their partial bulks over and end.
    pub(crate) fn close(&self) {
        lock(&self.senders).clear();
    }
}

/// Moves a route's events from its feed into its dispatcher's channel until the feed closes.
pub(crate) async fn forward(mut feed: mpsc::UnboundedReceiver<Item>, tx: mpsc::Sender<Item>) {
    while let Some(item) = feed.recv().await {
        if tx.send(item).await.is_err() {
            return;
        }
    }
}

impl crate::app::Resource for MemoryFeeds {
    fn close(&self) -> crate::future::BoxFuture<'_, ()> {
        MemoryFeeds::close(self);
        Box::pin(async {})
    }
}

use crate::sync::lock;
