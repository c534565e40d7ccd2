//! A publisher channel slot: the channel publishes share, reopened when it is gone.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::Channel;

/// A channel publishes share, reopened when it is gone.
#[derive(Default)]
pub(super) struct Slot {
    /// In an `Arc`: a lapin `Channel` is a dozen `Arc`s, too dear to clone per publish.
    channel: Mutex<Option<Arc<Channel>>>,
    /// Serializes opening a channel, so a burst of publishes after a reconnect opens one.
    opening: tokio::sync::Mutex<()>,
}

impl Slot {
    pub(super) fn current(&self) -> Option<Arc<Channel>> {
        let slot = self.channel.lock().unwrap_or_else(|p| p.into_inner());
        slot.as_ref().filter(|c| c.status().connected()).cloned()
    }

    /// The open channel, or the one `open` makes. One opener at a time: a burst of publishes
    /// after a reconnect opens one channel, not one each.
    pub(super) async fn get_or_open<E>(
        &self,
        open: impl Future<Output = Result<Channel, E>>,
    ) -> Result<Arc<Channel>, E> {
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let _opening = self.opening.lock().await;
        if let Some(c) = self.current() {
            return Ok(c);
        }
        let channel = Arc::new(open.await?);
        *self.channel.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&channel));
        Ok(channel)
    }

    /// Closes the channel, if open, waiting a little for the broker's answer.
    pub(super) async fn close(&self) {
        let channel = self
            .channel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(c) = channel
            && c.status().connected()
        {
            let _ = tokio::time::timeout(Duration::from_secs(5), c.close(200, "bye".into())).await;
        }
    }

    /// Drops `channel` from the slot if it is still the current one.
    pub(super) fn forget(&self, channel: &Channel) {
        let mut slot = self.channel.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|c| c.id() == channel.id()) {
            *slot = None;
        }
    }
}
