//! One SSE stream (a route's path): the HTTP request, the bounded parser, the idle timeout,
//! and the supervisor that reconnects with backoff, honours `retry:` and resumes with
//! `Last-Event-ID`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use prometheus_client::metrics::counter::Counter;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Response, StatusCode};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::event::Envelope;
use super::intake::SseReceipt;
use super::parser::{Oversized, Parsed, Parser};
use crate::app::App;
use crate::backoff::Backoff;
use crate::dispatch::Inbound;
use crate::observe::metrics::{Metrics, OutcomeLabels, RouteLabels};

/// Where a stream sends its events: the route's dispatcher.
pub(crate) type Tx = mpsc::Sender<Inbound<Envelope, SseReceipt>>;

/// The backoff after a refusal: a 4xx other than 408 and 429, or a wrong content type. Such an
/// answer says the request itself is wrong (a bad token, a wrong path, a login page in front
/// of the stream), and nothing changes until someone fixes the configuration or the server.
/// Retrying at reconnect speed would only hammer the server and flood the logs, yet giving up
/// would need a restart once it is fixed: so retry slowly (5 to 10 s at first, up to 5 min).
const SLOW: Backoff = Backoff {
    base: Duration::from_secs(10),
    cap: Duration::from_secs(300),
};

/// The longest `Retry-After` honoured. The header is the server's to set, and a wrong or
/// hostile value (a day, a year) would park the stream, not ready, for that long; past the cap
/// the worker asks again, and a server still unwilling says so again.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Pre-built metric handles of one stream: what happens before the dispatcher (which counts
/// events' fates and decode errors as it does for every consumer).
#[derive(Debug, Clone)]
pub(crate) struct StreamCounters {
    /// Events dropped for exceeding `max_event_size`.
    pub(crate) oversized: Counter,
    /// Bytes received, event or not.
    pub(crate) bytes: Counter,
    /// Connections opened after the first.
    pub(crate) reconnects: Counter,
}

impl StreamCounters {
    /// The handles of the stream of `route` at `path`.
    pub(crate) fn new(metrics: &Metrics, route: &str, path: &str) -> StreamCounters {
        let route_labels = RouteLabels {
            route: route.to_owned(),
        };
        let oversized = OutcomeLabels {
            route: route.to_owned(),
            queue: path.to_owned(),
            outcome: "oversized".to_owned(),
        };
        StreamCounters {
            oversized: metrics.sse_events.get_or_create(&oversized).clone(),
            bytes: metrics.sse_bytes.get_or_create(&route_labels).clone(),
            reconnects: metrics.sse_reconnects.get_or_create(&route_labels).clone(),
        }
    }
}

/// A stream's part in the worker's readiness (`app.health()`): ready while connected, and
/// when not, why the last attempt failed (a refused TLS handshake, an HTTP status...).
pub(crate) struct Readiness {
    pub(crate) app: App,
    /// The part's name, e.g. `sse watch /v2/events`.
    pub(crate) part: String,
    pub(crate) flag: Arc<AtomicBool>,
}

impl Readiness {
    /// Connected: ready, and the last failure is forgotten.
    fn up(&self) {
        self.app.health().set_reason(&self.part, None);
        self.flag.store(true, Ordering::Release);
    }

    /// Not connected; `reason` says why, when something failed.
    fn down(&self, reason: Option<&str>) {
        self.flag.store(false, Ordering::Release);
        if let Some(r) = reason {
            self.app.health().set_reason(&self.part, Some(r.to_owned()));
        }
    }
}

/// One path of an SSE route, with everything needed to (re)connect to it.
pub(crate) struct Stream {
    pub(crate) route: Arc<str>,
    pub(crate) path: Arc<str>,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: HeaderMap,
    pub(crate) client: reqwest::Client,
    /// The longest wait for the response, then for each chunk of the body.
    pub(crate) idle_timeout: Duration,
    pub(crate) max_event_size: usize,
    /// This stream's readiness, as `app.health()` reports it: true while connected.
    pub(crate) ready: Readiness,
    pub(crate) counters: Arc<StreamCounters>,
}

/// What survives a reconnection: what the server told us about itself, and how badly it has
/// been doing. Everything else (the parser's half-read event, the response) is dropped with
/// the connection.
#[derive(Default)]
struct Resume {
    /// The last event ID string, sent as `Last-Event-ID` so that the server resumes after the
    /// last event received rather than from its start (or its present).
    last_id: String,
    /// The server's `retry:`, if it sent one: its reconnection time holds for every later
    /// connection, not just the one it came on (as in a browser's `EventSource`).
    retry: Option<Duration>,
    /// Failed attempts since the last event received. An open connection does not reset it: a
    /// server that accepts and closes at once would otherwise be retried at the base delay
    /// forever; only an event proves the stream works.
    attempt: u32,
}

impl Resume {
    /// Counts a failed attempt and returns the wait before the next one: the backoff, but at
    /// least the server's `retry:` and its `Retry-After` (capped).
    fn next_delay(&mut self, slow: bool, retry_after: Option<Duration>) -> Duration {
        self.attempt = self.attempt.saturating_add(1);
        let backoff = if slow { SLOW } else { Backoff::RECONNECT };
        let mut delay = backoff.delay(self.attempt);
        if let Some(r) = self.retry {
            delay = delay.max(r);
        }
        if let Some(r) = retry_after {
            delay = delay.max(r.min(MAX_RETRY_AFTER));
        }
        delay
    }
}

/// How one connection ended.
enum End {
    /// Shutdown asked (or the dispatcher is gone).
    Stop,
    /// 204 No Content: the server says "stop".
    NoContent,
    /// Anything else: connect again after a delay.
    Retry {
        reason: String,
        /// A refusal (see [`SLOW`]): the slow backoff.
        slow: bool,
        retry_after: Option<Duration>,
    },
}

impl End {
    /// A failure of the connection rather than a refusal: the normal backoff.
    fn retry(reason: impl Into<String>) -> End {
        End::Retry {
            reason: reason.into(),
            slow: false,
            retry_after: None,
        }
    }
}

impl Stream {
    /// Streams until `stop` is cancelled or the server answers 204. Events are forwarded on
    /// `tx`, which is dropped on return so the dispatcher can drain.
    pub(crate) async fn run(self, tx: Tx, stop: CancellationToken) {
        let mut resume = Resume::default();
        let mut first = true;
        loop {
            if !std::mem::replace(&mut first, false) {
                self.counters.reconnects.inc();
            }
            let end = self.connect_once(&tx, &stop, &mut resume).await;
            let delay = match end {
                End::Stop => {
                    self.ready.down(None);
                    break;
                }
                End::NoContent => {
                    self.ready
                        .down(Some("the server answered 204 No Content: stopped for good"));
                    tracing::warn!(
                        route = %self.route,
                        path = %self.path,
                        url = %self.url,
                        "the server answered 204 No Content: this stream stops for good (readiness reports it not ready)"
                    );
                    break;
                }
                End::Retry {
                    reason,
                    slow,
                    retry_after,
                } => {
                    self.ready.down(Some(&reason));
                    let delay = resume.next_delay(slow, retry_after);
                    self.log_retry(&resume, delay, slow, &reason);
                    delay
                }
            };
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
    }

    /// A refusal is an error (someone must act); a lost connection only a warning.
    fn log_retry(&self, resume: &Resume, delay: Duration, slow: bool, reason: &str) {
        if slow {
            tracing::error!(
                route = %self.route,
                path = %self.path,
                url = %self.url,
                attempt = resume.attempt,
                retry_in = ?delay,
                reason = %reason,
                "SSE stream refused; retrying slowly"
            );
        } else {
            tracing::warn!(
                route = %self.route,
                path = %self.path,
                url = %self.url,
                attempt = resume.attempt,
                retry_in = ?delay,
                last_event_id = %resume.last_id,
                reason = %reason,
                "SSE stream is down; reconnecting"
            );
        }
    }

    /// One connection: the request, then the events until it ends.
    async fn connect_once(&self, tx: &Tx, stop: &CancellationToken, resume: &mut Resume) -> End {
        let response = match self.open(stop, &resume.last_id).await {
            Ok(response) => response,
            Err(end) => return end,
        };
        self.ready.up();
        tracing::info!(
            route = %self.route,
            path = %self.path,
            url = %self.url,
            last_event_id = %resume.last_id,
            "SSE stream open"
        );
        self.read(response, tx, stop, resume).await
    }

    /// Sends the request (resuming after `last_id`) and accepts the response only if it is an
    /// event stream.
    async fn open(&self, stop: &CancellationToken, last_id: &str) -> Result<Response, End> {
        let mut request = self
            .client
            .get(self.url.clone())
            .headers(self.headers.clone());
        if !last_id.is_empty()
            && let Ok(v) = HeaderValue::from_bytes(last_id.as_bytes())
        {
            request = request.header("last-event-id", v);
        }
        let response = self
            .before_idle(stop, "no response within", request.send())
            .await?
            .map_err(|e| End::retry(format!("request failed: {}", error_chain(&e))))?;
        match refusal(&response) {
            Some(end) => Err(end),
            None => Ok(response),
        }
    }

    /// Parses the body and forwards its events until the connection ends.
    async fn read(
        &self,
        response: Response,
        tx: &Tx,
        stop: &CancellationToken,
        resume: &mut Resume,
    ) -> End {
        let mut parser = Parser::new(self.max_event_size, &resume.last_id);
        let mut body = response.bytes_stream();
        let mut parsed = Vec::new();
        loop {
            let chunk = match self.before_idle(stop, "no bytes for", body.next()).await {
                Err(end) => return end,
                Ok(None) => return End::retry("the server ended the stream"),
                Ok(Some(Err(e))) => return End::retry(format!("read failed: {}", error_chain(&e))),
                Ok(Some(Ok(chunk))) => chunk,
            };
            self.counters.bytes.inc_by(chunk.len() as u64);
            let fed = parser.feed(&chunk, &mut parsed);
            // The events completed before an oversized one still go out, and the resume
            // point moves past them: a reconnection then starts right after the last of them.
            if let Some(end) = self.forward(parsed.drain(..), tx, stop, resume).await {
                return end;
            }
            parser.last_event_id().clone_into(&mut resume.last_id);
            if let Err(o) = fed {
                return self.oversized(o);
            }
        }
    }

    /// Hands events to the dispatcher (waiting while its channel is full: backpressure on the
    /// stream) and records `retry:`; `Some(End::Stop)` when shutdown or the dispatcher ends it.
    async fn forward(
        &self,
        parsed: impl Iterator<Item = Parsed>,
        tx: &Tx,
        stop: &CancellationToken,
        resume: &mut Resume,
    ) -> Option<End> {
        for p in parsed {
            let raw = match p {
                Parsed::Retry(d) => {
                    resume.retry = Some(d);
                    continue;
                }
                Parsed::Event(raw) => raw,
            };
            resume.attempt = 0;
            let inbound = Inbound {
                envelope: Envelope {
                    path: Arc::clone(&self.path),
                    raw,
                },
                receipt: SseReceipt::default(),
            };
            tokio::select! {
                biased;
                r = tx.send(inbound) => if r.is_err() { return Some(End::Stop) },
                () = stop.cancelled() => return Some(End::Stop),
            }
        }
        None
    }

    /// An event (or line) past `max_event_size`. The only way to stop reading it is to drop
    /// the connection: skipping it would mean reading the rest of it, which the server may
    /// never end (and memory stays bounded only because the parser refuses to hold more).
    /// The event is lost; the reconnection resumes after the last complete one.
    fn oversized(&self, o: Oversized) -> End {
        self.counters.oversized.inc();
        tracing::error!(
            route = %self.route,
            path = %self.path,
            max_event_size = o.max,
            "an event (or line) is larger than max_event_size; dropping the connection"
        );
        End::retry(format!(
            "event larger than max_event_size ({} bytes)",
            o.max
        ))
    }

    /// Awaits `fut` for at most the idle timeout. An SSE server sends something (an event, a
    /// comment as keep-alive) every so often; when nothing comes, the connection is most
    /// likely half-open (the peer or a NAT on the way forgot it) and no read will ever fail,
    /// so the stream would hang, still reported ready. `waiting` says for what, in the
    /// reason: `Err(End::Retry)` then, and `Err(End::Stop)` when shutdown comes first.
    async fn before_idle<T>(
        &self,
        stop: &CancellationToken,
        waiting: &str,
        fut: impl Future<Output = T>,
    ) -> Result<T, End> {
        tokio::select! {
            biased;
            () = stop.cancelled() => Err(End::Stop),
            r = tokio::time::timeout(self.idle_timeout, fut) => r.map_err(|_| {
                End::retry(format!("{waiting} {:?} (the idle timeout)", self.idle_timeout))
            }),
        }
    }
}

/// Why `response` is not an event stream to read, if it is not: 204 stops the stream; 5xx, 408
/// and 429 are passing troubles (the normal backoff); any other status or content type is a
/// refusal (see [`SLOW`]). With any status, the server's `Retry-After` is honoured.
fn refusal(response: &Response) -> Option<End> {
    let status = response.status();
    if status == StatusCode::NO_CONTENT {
        return Some(End::NoContent);
    }
    if status != StatusCode::OK {
        let transient = status.is_server_error()
            || status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS;
        return Some(End::Retry {
            reason: format!("HTTP {status}"),
            slow: !transient,
            retry_after: retry_after(response),
        });
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let mime = content_type.split(';').next().unwrap_or("").trim();
    (!mime.eq_ignore_ascii_case("text/event-stream")).then(|| End::Retry {
        reason: format!("content type {content_type:?} is not text/event-stream"),
        slow: true,
        retry_after: None,
    })
}

/// `Retry-After` in seconds; the HTTP-date form is ignored (the backoff applies).
fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// An error with its sources (reqwest's own message is often just "error sending request").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
