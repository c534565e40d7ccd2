//! Live state of a route, for logs, tests and (later) readiness and metrics.

use std::sync::atomic::AtomicUsize;

/// How many of a route's queues have a consumer attached right now.
#[derive(Debug, Default)]
pub(crate) struct RouteStatus {
    pub(crate) attached: AtomicUsize,
}
