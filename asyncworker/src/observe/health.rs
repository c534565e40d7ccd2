//! Liveness and readiness of the worker's parts, as `/health/ready` reports them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The readiness of every registered part: startup, each consumer, each stream.
#[derive(Debug, Default)]
pub struct Health {
    started: AtomicBool,
    parts: Mutex<Vec<(String, Arc<AtomicBool>)>>,
}

impl Health {
    /// Registers a part (e.g. `amqp drain orders`), not ready until its flag is set.
    pub(crate) fn register(&self, name: String) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.parts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, Arc::clone(&flag)));
        flag
    }

    pub(crate) fn set_started(&self, started: bool) {
        self.started.store(started, Ordering::Release);
    }

    /// Whether startup hooks are done.
    pub fn started(&self) -> bool {
        self.started.load(Ordering::Acquire)
    }

    /// Names of the parts that are not ready; empty when the worker is ready.
    pub fn not_ready(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.started() {
            out.push("startup".to_owned());
        }
        let parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        out.extend(
            parts
                .iter()
                .filter(|(_, ready)| !ready.load(Ordering::Acquire))
                .map(|(name, _)| name.clone()),
        );
        out
    }

    /// Startup is done and every part is ready.
    pub fn is_ready(&self) -> bool {
        self.not_ready().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_when_started_and_every_part_is() {
        let h = Health::default();
        let a = h.register("amqp drain orders".into());
        assert_eq!(h.not_ready(), ["startup", "amqp drain orders"]);
        h.set_started(true);
        assert!(!h.is_ready());
        a.store(true, Ordering::Release);
        assert!(h.is_ready());
    }
}
