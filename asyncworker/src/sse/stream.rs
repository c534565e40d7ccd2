//! One SSE stream (a route's path): the HTTP request, the bounded parser, the idle timeout,
//! and the supervisor that reconnects with backoff, honours `retry:` and resumes with
//! `Last-Event-ID`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use prometheus_client::metrics::counter::Counter;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::event::Envelope;
use super::intake::SseReceipt;
use super::parser::{Parsed, Parser};
use crate::backoff::Backoff;
use crate::dispatch::Inbound;

pub(crate) type Tx = mpsc::Sender<Inbound<Envelope, SseReceipt>>;

/// After a 4xx or a wrong content type, the server is unlikely to change its mind soon: retry
/// slowly (5 to 10 s at first, up to 5 min), never in a tight loop.
const SLOW: Backoff = Backoff {
    base: Duration::from_secs(10),
    cap: Duration::from_secs(300),
};

/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Pre-built metric handles of one stream: what happens before the dispatcher (which counts
/// events' fates and decode errors as it does for every consumer).
#[derive(Debug, Clone)]
pub(crate) struct StreamCounters {
    /// Events dropped for exceeding `max_event_size`.
    pub(crate) oversized: Counter,
    pub(crate) bytes: Counter,
    pub(crate) reconnects: Counter,
}

pub(crate) struct Stream {
    pub(crate) route: Arc<str>,
    pub(crate) path: Arc<str>,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: HeaderMap,
    pub(crate) client: reqwest::Client,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_event_size: usize,
    /// This stream's readiness, as `app.health()` reports it: true while connected.
    pub(crate) ready: Arc<AtomicBool>,
    pub(crate) counters: Arc<StreamCounters>,
}

/// What survives a reconnection.
#[derive(Default)]
struct Resume {
    /// The last event ID string, sent as `Last-Event-ID`.
    last_id: String,
    /// The server's `retry:`, if it sent one.
    retry: Option<Duration>,
    /// Failed attempts since the last event received.
    attempt: u32,
}

enum End {
    /// Shutdown asked (or the dispatcher is gone).
    Stop,
    /// 204 No Content: the server says "stop".
    NoContent,
    Retry {
        reason: String,
        /// A 4xx or a wrong content type: the slow backoff.
        slow: bool,
        retry_after: Option<Duration>,
    },
}

fn retry(reason: impl Into<String>) -> End {
    End::Retry {
        reason: reason.into(),
        slow: false,
        retry_after: None,
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
            self.ready.store(false, Ordering::Release);
            match end {
                End::Stop => break,
                End::NoContent => {
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
                    resume.attempt = resume.attempt.saturating_add(1);
                    let backoff = if slow { SLOW } else { Backoff::RECONNECT };
                    let mut delay = backoff.delay(resume.attempt);
                    if let Some(r) = resume.retry {
                        delay = delay.max(r);
                    }
                    if let Some(r) = retry_after {
                        delay = delay.max(r.min(MAX_RETRY_AFTER));
                    }
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
                    tokio::select! {
                        biased;
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    async fn connect_once(&self, tx: &Tx, stop: &CancellationToken, resume: &mut Resume) -> End {
        let mut request = self
            .client
            .get(self.url.clone())
            .headers(self.headers.clone());
        if !resume.last_id.is_empty()
            && let Ok(v) = HeaderValue::from_bytes(resume.last_id.as_bytes())
        {
            request = request.header("last-event-id", v);
        }
        let response = tokio::select! {
            biased;
            () = stop.cancelled() => return End::Stop,
            r = tokio::time::timeout(self.idle_timeout, request.send()) => r,
        };
        let response = match response {
            Err(_) => {
                return retry(format!(
                    "no response within the idle timeout ({:?})",
                    self.idle_timeout
                ));
            }
            Ok(Err(e)) => return retry(format!("request failed: {}", error_chain(&e))),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if status == StatusCode::NO_CONTENT {
            return End::NoContent;
        }
        if status != StatusCode::OK {
            let transient = status.is_server_error()
                || status == StatusCode::REQUEST_TIMEOUT
                || status == StatusCode::TOO_MANY_REQUESTS;
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return End::Retry {
                reason: format!("HTTP {status}"),
                slow: !transient,
                retry_after,
            };
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("text/event-stream") {
            return End::Retry {
                reason: format!("content type {content_type:?} is not text/event-stream"),
                slow: true,
                retry_after: None,
            };
        }
        self.ready.store(true, Ordering::Release);
        tracing::info!(
            route = %self.route,
            path = %self.path,
            url = %self.url,
            last_event_id = %resume.last_id,
            "SSE stream open"
        );
        let mut parser = Parser::new(self.max_event_size, &resume.last_id);
        let mut body = response.bytes_stream();
        let mut parsed = Vec::new();
        loop {
            let next = tokio::select! {
                biased;
                () = stop.cancelled() => return End::Stop,
                n = tokio::time::timeout(self.idle_timeout, body.next()) => n,
            };
            let chunk = match next {
                Err(_) => {
                    return retry(format!(
                        "no bytes for {:?} (idle timeout)",
                        self.idle_timeout
                    ));
                }
                Ok(None) => return retry("the server ended the stream"),
                Ok(Some(Err(e))) => return retry(format!("read failed: {}", error_chain(&e))),
                Ok(Some(Ok(chunk))) => chunk,
            };
            self.counters.bytes.inc_by(chunk.len() as u64);
            let fed = parser.feed(&chunk, &mut parsed);
            for p in parsed.drain(..) {
                match p {
                    Parsed::Retry(d) => resume.retry = Some(d),
                    Parsed::Event(raw) => {
                        resume.attempt = 0;
                        let inbound = Inbound {
                            envelope: Envelope {
                                path: Arc::clone(&self.path),
                                raw,
                            },
                            receipt: SseReceipt,
                        };
                        tokio::select! {
                            biased;
                            r = tx.send(inbound) => if r.is_err() { return End::Stop },
                            () = stop.cancelled() => return End::Stop,
                        }
                    }
                }
            }
            parser.last_event_id().clone_into(&mut resume.last_id);
            if let Err(o) = fed {
                self.counters.oversized.inc();
                tracing::error!(
                    route = %self.route,
                    path = %self.path,
                    max_event_size = o.max,
                    "an event (or line) is larger than max_event_size; dropping the connection"
                );
                return retry(format!(
                    "event larger than max_event_size ({} bytes)",
                    o.max
                ));
            }
        }
    }
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
