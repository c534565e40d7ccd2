//! Liveness and readiness of the worker's parts, as `/health/ready` reports them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The readiness of every registered part: startup, each consumer, each stream.
#[derive(Debug, Default)]
pub struct Health {
    started: AtomicBool,
    parts: Mutex<Vec<(String, Arc<AtomicBool>)>>,
    /// Why a part last failed (a refused TLS handshake, say), by part name: the names alone
    /// say what is not ready, not what an operator must fix.
    reasons: Mutex<BTreeMap<String, String>>,
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

    /// Records why `part` last failed to become ready, or forgets it (`None`).
    pub(crate) fn set_reason(&self, part: &str, reason: Option<String>) {
        let mut reasons = self.reasons.lock().unwrap_or_else(|e| e.into_inner());
        match reason {
            Some(r) => reasons.insert(part.to_owned(), r),
            None => reasons.remove(part),
        };
    }

    /// Why the parts that are not ready failed, for those that said (part name → reason).
    pub fn reasons(&self) -> BTreeMap<String, String> {
        let not_ready = self.not_ready();
        let reasons = self.reasons.lock().unwrap_or_else(|e| e.into_inner());
        reasons
            .iter()
            .filter(|(part, _)| not_ready.contains(part))
            .map(|(part, reason)| (part.clone(), reason.clone()))
            .collect()
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

    #[test]
    fn reasons_of_the_parts_not_ready() {
        let h = Health::default();
        let a = h.register("sse s /a".into());
        h.set_reason(
            "sse s /a",
            Some("invalid peer certificate: UnknownIssuer".into()),
        );
        assert_eq!(
            h.reasons().into_iter().collect::<Vec<_>>(),
            [(
                "sse s /a".to_owned(),
                "invalid peer certificate: UnknownIssuer".to_owned()
            )]
        );
        a.store(true, Ordering::Release);
        assert!(
            h.reasons().is_empty(),
            "a ready part has no reason to report"
        );
        h.set_reason("sse s /a", None);
        a.store(false, Ordering::Release);
        assert!(h.reasons().is_empty());
    }
}
