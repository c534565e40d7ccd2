//! Load shedding: how many requests to the user's routes may be handled at once
//! (`ASYNCWORKER_HTTP_MAX_IN_FLIGHT`), and the 503 the one beyond gets at once instead of
//! queueing behind them. The built-in endpoints never pass through here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;

use super::extract::HttpError;

/// Seconds a shed client is told to wait (`Retry-After`): long enough not to come straight
/// back, short enough for a burst to pass.
const RETRY_AFTER_SECONDS: &str = "1";

/// The requests in flight on every user route of one server, against the limit.
#[derive(Debug)]
pub(crate) struct InFlight {
    now: AtomicUsize,
    max: usize,
}

impl InFlight {
    /// A limit of `max` requests (at least 1).
    pub(crate) fn new(max: usize) -> Arc<InFlight> {
        Arc::new(InFlight {
            now: AtomicUsize::new(0),
            max,
        })
    }
}

/// What one route's guard sheds with: the shared limit and the route's count of refusals.
#[derive(Clone)]
pub(crate) struct Shedder {
    pub(crate) in_flight: Arc<InFlight>,
    /// `asyncworker_http_shed{route}`.
    pub(crate) shed: Counter,
}

/// A request counted in flight until dropped.
pub(crate) struct Permit(Arc<InFlight>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request refused: the limit it met.
pub(crate) struct Shed {
    max: usize,
}

impl Shedder {
    /// A permit for one more request, or its refusal (counted): one atomic add on the way in
    /// (and one subtraction on the way out).
    pub(crate) fn enter(self) -> Result<Permit, Shed> {
        let Shedder { in_flight, shed } = self;
        let before = in_flight.now.fetch_add(1, Ordering::AcqRel);
        let max = in_flight.max;
        let permit = Permit(in_flight);
        if before < max {
            return Ok(permit);
        }
        drop(permit);
        shed.inc();
        Err(Shed { max })
    }
}

impl Shed {
    /// 503 with `Retry-After` and the JSON error body.
    pub(crate) fn response(self) -> Response {
        let mut res = HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the server is handling its limit of {} requests (ASYNCWORKER_HTTP_MAX_IN_FLIGHT); retry later",
                self.max
            ),
        )
        .into_response();
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECONDS),
        );
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_beyond_the_limit_is_refused_until_one_ends() {
        let shedder = Shedder {
            in_flight: InFlight::new(2),
            shed: Counter::default(),
        };
        let a = shedder.clone().enter().ok().expect("first");
        let _b = shedder.clone().enter().ok().expect("second");
        let refused = shedder.clone().enter().err().expect("third is refused");
        let refused = refused.response();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        assert_eq!(shedder.shed.get(), 1);
        drop(a);
        assert!(shedder.clone().enter().is_ok(), "a slot is free again");
    }
}
