//! What runs around every handler: body limit, request timeout, panic catching and metrics,
//! in one wrapper so a request pays for one boxed future.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::{Duration, Instant};

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

use super::extract::HttpError;
use super::layers::Counted;
use super::shed::{Permit, Shedder};
use crate::app::App;
use crate::observe::metrics::{HttpLabels, HttpRouteLabels, Metrics};

/// Settings every route's guard shares.
#[derive(Debug)]
pub(crate) struct GuardConfig {
    pub(crate) body_limit: usize,
    pub(crate) request_timeout: Duration,
}

/// Distinct (method, status) pairs of one route kept in lock-free slots; more are rare and
/// take the family's own (locked) lookup.
const SLOTS: usize = 16;

/// The metric handles of one route template, created on first use per method and status.
///
/// The hot path only loads from `OnceLock`s (no read-modify-write on a shared lock), then
/// bumps the counter and observes the histogram.
pub(crate) struct RouteStats {
    pub(crate) template: String,
    /// Whether layers sit around the route: then the guard marks what it counted, and the
    /// outer [`CountLayer`](super::layers::CountLayer) counts the rest.
    marks: bool,
    requests: Family<HttpLabels, Counter>,
    durations: Family<HttpRouteLabels, Histogram>,
    /// `(method, status)` key and its counter, filled in order under `insert`.
    counters: [OnceLock<(Method, u16, Counter)>; SLOTS],
    /// One histogram per method, same scheme.
    histograms: [OnceLock<(Method, Histogram)>; SLOTS],
    insert: Mutex<()>,
}

impl RouteStats {
    pub(crate) fn new(metrics: &Metrics, template: &str, marks: bool) -> RouteStats {
        RouteStats {
            template: template.to_owned(),
            marks,
            requests: metrics.http_requests.clone(),
            durations: metrics.http_duration.clone(),
            counters: std::array::from_fn(|_| OnceLock::new()),
            histograms: std::array::from_fn(|_| OnceLock::new()),
            insert: Mutex::new(()),
        }
    }

    pub(crate) fn record(&self, method: &Method, status: StatusCode, elapsed: Duration) {
        self.count(method, status.as_u16());
        self.time(method, elapsed.as_secs_f64());
    }

    /// Records `res`, marked as counted when layers sit around the route.
    fn record_answer(&self, method: &Method, res: &mut Response, elapsed: Duration) {
        self.record(method, res.status(), elapsed);
        if self.marks {
            res.extensions_mut().insert(Counted);
        }
    }

    /// One more request of `method` answered with `status`.
    fn count(&self, method: &Method, status: u16) {
        let labels = || HttpLabels {
            route: self.template.clone(),
            method: method.as_str().to_owned(),
            status: status.to_string(),
        };
        let slot = find_or_insert(
            &self.counters,
            &self.insert,
            |(m, s, _)| *s == status && m == method,
            || {
                let counter = self.requests.get_or_create(&labels()).clone();
                (method.clone(), status, counter)
            },
        );
        match slot {
            Some((_, _, counter)) => counter.inc(),
            None => self.requests.get_or_create(&labels()).inc(),
        };
    }

    /// The duration of one request of `method`.
    fn time(&self, method: &Method, seconds: f64) {
        let labels = || HttpRouteLabels {
            route: self.template.clone(),
            method: method.as_str().to_owned(),
        };
        let slot = find_or_insert(
            &self.histograms,
            &self.insert,
            |(m, _)| m == method,
            || {
                (
                    method.clone(),
                    self.durations.get_or_create(&labels()).clone(),
                )
            },
        );
        match slot {
            Some((_, histogram)) => histogram.observe(seconds),
            None => self.durations.get_or_create(&labels()).observe(seconds),
        }
    }
}

/// The filled slot matching `found`, or a new one made by `make` (under `lock`); `None` when
/// every slot holds something else.
fn find_or_insert<'a, T>(
    slots: &'a [OnceLock<T>; SLOTS],
    lock: &Mutex<()>,
    found: impl Fn(&T) -> bool,
    make: impl FnOnce() -> T,
) -> Option<&'a T> {
    for slot in slots {
        match slot.get() {
            Some(v) if found(v) => return Some(v),
            Some(_) => {}
            None => break,
        }
    }
    let _guard = crate::sync::lock(lock);
    for slot in slots {
        match slot.get() {
            Some(v) if found(v) => return Some(v),
            Some(_) => {}
            None => {
                let _ = slot.set(make());
                return slot.get();
            }
        }
    }
    None
}

/// Load shedding (503), body limit, request timeout (408), panic → 500 and metrics for one
/// route (or the fallback), shared by every method of it.
#[derive(Clone)]
pub(crate) struct Guard {
    pub(crate) config: Arc<GuardConfig>,
    pub(crate) stats: Arc<RouteStats>,
    /// On the user's routes with `ASYNCWORKER_HTTP_MAX_IN_FLIGHT` set; never on built-ins.
    pub(crate) shed: Option<Shedder>,
}

/// A handler run under a [`Guard`]. Wrapping the handler itself (rather than layering a
/// tower service around its route) costs one boxed future per request and nothing else.
#[derive(Clone)]
pub(crate) struct Guarded<H> {
    pub(crate) handler: H,
    pub(crate) guard: Guard,
}

impl<H, T> Handler<T, App> for Guarded<H>
where
    H: Handler<T, App>,
    H::Future: Unpin,
    T: 'static,
{
    type Future = GuardFuture<H::Future>;

    fn call(self, req: Request, state: App) -> Self::Future {
        let Guarded { handler, guard } = self;
        guard.run(req, move |req| handler.call(req, state))
    }
}

impl Guard {
    fn run<F>(self, req: Request, call: impl FnOnce(Request) -> F) -> GuardFuture<F>
    where
        F: Future<Output = Response> + Unpin,
    {
        let start = Instant::now();
        let method = req.method().clone();
        let Guard {
            config,
            stats,
            shed,
        } = self;
        let permit = match shed.map(Shedder::enter) {
            Some(Err(shed)) => {
                return GuardFuture::answered(&stats, &method, start, shed.response());
            }
            Some(Ok(permit)) => Some(permit),
            None => None,
        };
        let limit = config.body_limit;
        if declared_length(&req).is_some_and(|n| n > limit as u64) {
            // Refused before a byte of the body is read; hyper closes the connection after
            // the answer instead of reading the rest.
            let mut res = too_large(limit);
            res.headers_mut().insert(
                header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            return GuardFuture::answered(&stats, &method, start, res);
        }
        let req = if req.body().is_end_stream() {
            req
        } else {
            req.map(|body| Body::new(http_body_util::Limited::new(body, limit)))
        };
        #[cfg(feature = "otel")]
        let span = crate::otel::http_span(&req, &stats.template);
        #[cfg(feature = "otel")]
        let entered = span.enter();
        let called = std::panic::catch_unwind(AssertUnwindSafe(|| call(req)));
        #[cfg(feature = "otel")]
        drop(entered);
        match called {
            Ok(inner) => GuardFuture::Running(Running {
                inner,
                sleep: None,
                stats,
                method,
                start,
                timeout: config.request_timeout,
                limit,
                _permit: permit,
                #[cfg(feature = "otel")]
                span,
            }),
            Err(panic) => {
                let res = panicked(&stats.template, &*panic);
                GuardFuture::answered(&stats, &method, start, res)
            }
        }
    }
}

/// The body length the request announces, if it does.
fn declared_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The future of a guarded handler: the handler's own (already boxed by axum, so `Unpin`),
/// with a timer armed only if it does not finish at its first poll. Most handlers answer at
/// once, and a timer per request would cost them a trip through the timer wheel's lock.
pub(crate) enum GuardFuture<F> {
    /// Answered before the handler's future existed (body too large, or the handler panicked
    /// when called): the response, until taken.
    Ready(Option<Response>),
    Running(Running<F>),
}

/// A handler call under way, with what its answer is recorded with.
pub(crate) struct Running<F> {
    inner: F,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    stats: Arc<RouteStats>,
    method: Method,
    start: Instant,
    timeout: Duration,
    limit: usize,
    /// The request's place under `ASYNCWORKER_HTTP_MAX_IN_FLIGHT`, until answered or dropped.
    _permit: Option<Permit>,
    /// The request's span (feature `otel`, with an exporter): entered at each poll.
    #[cfg(feature = "otel")]
    span: tracing::Span,
}

impl<F> GuardFuture<F> {
    /// `res`, recorded now.
    fn answered(stats: &RouteStats, method: &Method, start: Instant, mut res: Response) -> Self {
        stats.record_answer(method, &mut res, start.elapsed());
        GuardFuture::Ready(Some(res))
    }
}

impl<F: Future<Output = Response> + Unpin> Future for GuardFuture<F> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Response> {
        match self.get_mut() {
            GuardFuture::Ready(res) => Poll::Ready(res.take().unwrap_or_else(|| {
                HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "polled after completion")
                    .into_response()
            })),
            GuardFuture::Running(running) => running.poll(cx),
        }
    }
}

impl<F: Future<Output = Response> + Unpin> Running<F> {
    fn poll(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Response> {
        #[cfg(feature = "otel")]
        let _entered = self.span.clone().entered();
        let polled =
            std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut self.inner).poll(cx)));
        let mut res = match polled {
            // axum's body extractors (`Bytes`, `String`) answer the limit in plain text;
            // give it the JSON shape of every other error.
            Ok(Poll::Ready(res))
                if res.status() == StatusCode::PAYLOAD_TOO_LARGE && is_plain_text(&res) =>
            {
                too_large(self.limit)
            }
            Ok(Poll::Ready(res)) => res,
            Err(panic) => panicked(&self.stats.template, &*panic),
            Ok(Poll::Pending) => std::task::ready!(self.timed_out(cx)),
        };
        self.stats
            .record_answer(&self.method, &mut res, self.start.elapsed());
        self._permit = None;
        Poll::Ready(res)
    }

    /// The 408 once the request timeout has passed; the timer is armed at the first call.
    fn timed_out(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Response> {
        let deadline = tokio::time::Instant::from_std(self.start + self.timeout);
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(
            HttpError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!("the request was not answered within {:?}", self.timeout),
            )
            .into_response(),
        )
    }
}

fn is_plain_text(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"))
}

fn too_large(limit: usize) -> Response {
    HttpError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than the limit of {limit} bytes"),
    )
    .into_response()
}

fn panicked(route: &str, panic: &(dyn std::any::Any + Send)) -> Response {
    let text = crate::dispatch::panic_message(panic);
    tracing::error!(route, panic = %text, "HTTP handler panicked; answered 500");
    HttpError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response()
}
