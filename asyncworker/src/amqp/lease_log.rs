//! lapin logs every channel the broker closes at ERROR level, and a standby replica's lease
//! poll is refused (405 RESOURCE_LOCKED, which closes its channel) twice a second by design.
//! This layer drops exactly those events (lapin's "Channel closed" naming a lease queue and
//! RESOURCE_LOCKED), so that a standby's log stays quiet and an ERROR still means something;
//! every other event of lapin's passes.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use crate::schedule::singleton::LEASE_PREFIX;

/// The layer; see the module's doc.
pub(crate) struct QuietLeasePolls;

impl<S: Subscriber> Layer<S> for QuietLeasePolls {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        !is_refused_lease_poll(event)
    }
}

/// Whether `event` is lapin's log of a lease declaration the broker refused.
fn is_refused_lease_poll(event: &Event<'_>) -> bool {
    if event.metadata().target() != "lapin::channel" {
        return false;
    }
    let mut fields = Fields::default();
    event.record(&mut fields);
    fields.0.contains("RESOURCE_LOCKED") && fields.0.contains(LEASE_PREFIX)
}

/// Every field of an event, as debug text.
#[derive(Default)]
struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={value:?} ", field.name());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    /// Counts the events that reach it.
    struct Count(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Count {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }

    #[test]
    fn only_lapins_refused_lease_polls_are_dropped() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry()
            .with(Count(Arc::clone(&seen)))
            .with(QuietLeasePolls);
        tracing::subscriber::with_default(subscriber, || {
            let locked = "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue 'asyncworker.lease.app.tick'";
            tracing::error!(target: "lapin::channel", method = ?locked, "Channel closed");
            // Another queue's 405, another target, another error: all kept.
            let other = "RESOURCE_LOCKED - cannot obtain exclusive access to locked queue 'orders'";
            tracing::error!(target: "lapin::channel", method = ?other, "Channel closed");
            tracing::error!(target: "asyncworker", method = ?locked, "ours");
            let gone = "NOT_FOUND - no queue 'asyncworker.lease.app.tick'";
            tracing::error!(target: "lapin::channel", method = ?gone, "Channel closed");
        });
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "{seen:?}");
        let dropped = |f: &String| {
            f.contains("Channel closed") && f.contains("RESOURCE_LOCKED") && f.contains("lease.app")
        };
        assert!(!seen.iter().any(dropped), "{seen:?}");
    }
}
