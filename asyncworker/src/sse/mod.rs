//! The Server-Sent-Events backend: `#[route(sse = [...])]` consumers.
//!
//! Per route: one dispatcher (the same as AMQP's, see `dispatch.rs`) fed by one *stream* per
//! path, each an HTTP GET read with a bounded parser and supervised: reconnect with capped
//! exponential backoff and jitter (at least the server's `retry:`), resume with
//! `Last-Event-ID`, stop for good on 204, retry slowly on 4xx or a wrong content type, and
//! reconnect when no byte arrives for `idle_timeout`.
//!
//! The client is `reqwest` (`bytes_stream()`) with our own parser (`parser.rs`), not
//! `reqwest-eventsource`: that crate ends the stream on any non-200 status, cannot bound the
//! size of an event, counts no bytes and has no idle timeout; `eventsource-stream`, which it
//! builds on, buffers without a limit and loses a `retry:` sent without data.

mod event;
pub(crate) mod handler;
mod intake;
mod parser;
mod stream;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use event::Event;

use self::intake::SseFactory;
use self::stream::{Stream, StreamCounters};
use crate::action::Action;
use crate::app::App;
use crate::backend::{
    Backend, CheckFuture, CheckLine, Preparation, RouteProblem, StateNeed, state_needs,
};
use crate::bulk::BulkOptions;
use crate::dispatch::{Actions, DispatchConfig};
use crate::observe::metrics::{OutcomeLabels, RouteLabels, RouteMetrics};
use crate::registry::Filter;
use crate::registry::RouteDef as _;
use crate::settings::Settings;

/// What the code `#[route(sse = ...)]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::handler::EventsArg;
    pub use super::intake::{SseFactory, sse_factory};
    pub use super::{SseOptions, SseRouteDef};

    /// Compile-time check of an SSE handler's last argument (its events), spanned at its type
    /// by `#[route]`.
    pub fn assert_events<T: EventsArg>() {}
}

/// A registered SSE route, as `#[route(sse = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct SseRouteDef {
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub paths: &'static [&'static str],
    pub options: SseOptions,
    pub factory: fn() -> SseFactory,
}

inventory::collect!(SseRouteDef);

/// The options of an SSE route; see the README's "SSE routes".
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct SseOptions {
    /// `None`: `ASYNCWORKER_SSE_URL`.
    pub url: Option<&'static str>,
    /// `"Name: value"` templates; `${VAR}` is replaced by the environment variable at startup.
    pub headers: &'static [&'static str],
    pub bulk_size: u16,
    pub bulk_flush_ms: u64,
    pub concurrency: u16,
    pub timeout_ms: Option<u64>,
    pub idle_timeout_ms: u64,
    pub max_event_size: u64,
}

impl SseOptions {
    pub const DEFAULT: SseOptions = SseOptions {
        url: None,
        headers: &[],
        bulk_size: 1,
        bulk_flush_ms: 1000,
        concurrency: 1,
        timeout_ms: None,
        idle_timeout_ms: 60_000,
        max_event_size: 1 << 20,
    };
}

crate::registry::route_def!(SseRouteDef);

impl SseOptions {
    /// The options that shape bulks, as the attribute set them.
    fn bulk(&self) -> BulkOptions {
        BulkOptions {
            bulk_size: self.bulk_size,
            bulk_flush_ms: self.bulk_flush_ms,
            concurrency: self.concurrency,
            timeout_ms: self.timeout_ms,
        }
    }
}

/// Replaces `${VAR}` with the value of `VAR` and `$$` with `$`; any other `$` is kept.
/// `Err` names the first variable that is not set.
pub(crate) fn interpolate(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{')
            && let Some(end) = body.find('}')
        {
            let var = &body[..end];
            out.push_str(&lookup(var).ok_or_else(|| var.to_owned())?);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A route's options after deployment overrides, with its URLs and headers built.
struct Resolved {
    def: &'static SseRouteDef,
    options: SseOptions,
    /// The bulk options, with the deployment's overrides.
    bulk: BulkOptions,
    base: String,
    urls: Vec<reqwest::Url>,
    headers: HeaderMap,
}

impl Resolved {
    fn new(
        def: &'static SseRouteDef,
        settings: &Settings,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, Vec<RouteProblem>> {
        let problem = |message: String| RouteProblem::of(def, message);
        let mut problems = Vec::new();
        let options = def.options;
        let mut bulk = options.bulk();
        match crate::settings::route_override(def.name, settings, lookup) {
            Ok(over) => bulk = bulk.with_override(&over),
            Err(bad) => problems.extend(bad.into_iter().map(problem)),
        }
        let var = |key: &str| crate::settings::route_var(def.name, key);
        let base = lookup(&var("URL"))
            .or_else(|| def.options.url.map(str::to_owned))
            .or_else(|| settings.sse_url.clone());
        let mut urls = Vec::new();
        let base = match base {
            Some(b) => b,
            None => {
                problems.push(problem(
                    "has no `url` and ASYNCWORKER_SSE_URL is not set; set one of them".to_owned(),
                ));
                String::new()
            }
        };
        if !base.is_empty() {
            for path in def.paths {
                let full = format!("{}{path}", base.trim_end_matches('/'));
                match reqwest::Url::parse(&full) {
                    Ok(u) if u.scheme() == "http" && u.host_str().is_some() => urls.push(u),
                    Ok(u) if u.scheme() == "https" => problems.push(problem(format!("{full:?} is https, which this build of asyncworker does not support yet (no TLS); use http"))),
                    Ok(_) => problems.push(problem(format!("{full:?} is not an http:// URL with a host"))),
                    Err(e) => problems.push(problem(format!("{full:?} is not a valid URL: {e}"))),
                }
            }
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(
            reqwest::header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        );
        for template in def.options.headers {
            let Some((name, value)) = template.split_once(':') else {
                problems.push(problem(format!("header {template:?} is not `Name: value`")));
                continue;
            };
            let name = match HeaderName::from_bytes(name.trim().as_bytes()) {
                Ok(n) => n,
                Err(_) => {
                    problems.push(problem(format!("{:?} is not a header name", name.trim())));
                    continue;
                }
            };
            let value = match interpolate(value.trim(), lookup) {
                Ok(v) => v,
                Err(missing) => {
                    problems.push(problem(format!(
                        "header `{name}` needs the environment variable {missing}, which is not set"
                    )));
                    continue;
                }
            };
            match HeaderValue::from_str(&value) {
                Ok(mut v) => {
                    // Tokens must not end up in debug output.
                    v.set_sensitive(true);
                    headers.insert(name, v);
                }
                Err(_) => problems.push(problem(format!(
                    "the value of header `{name}` is not a valid header value once interpolated"
                ))),
            }
        }
        if problems.is_empty() {
            Ok(Resolved {
                def,
                options,
                bulk,
                base,
                urls,
                headers,
            })
        } else {
            Err(problems)
        }
    }

    /// A one-line summary for `--routes` and the startup log (header values are not shown).
    fn describe(&self) -> String {
        let o = &self.options;
        let mut s = format!(
            "sse   {:<20} url={:?} paths={:?} bulk_size={} bulk_flush={}ms concurrency={} idle_timeout={}ms max_event_size={}",
            self.def.name,
            self.base,
            self.def.paths,
            self.bulk.bulk_size,
            self.bulk.bulk_flush_ms,
            self.bulk.concurrency,
            o.idle_timeout_ms,
            o.max_event_size,
        );
        if let Some(t) = self.bulk.timeout_ms {
            s.push_str(&format!(" timeout={t}ms"));
        }
        if !o.headers.is_empty() {
            let names: Vec<&str> = o
                .headers
                .iter()
                .map(|h| h.split(':').next().unwrap_or("").trim())
                .collect();
            s.push_str(&format!(" headers={names:?}"));
        }
        s.push_str(&format!("  ({})", self.def.location()));
        s
    }
}

struct Prepared {
    resolved: Resolved,
    factory: SseFactory,
    paths: Vec<Arc<str>>,
    cfg: Arc<DispatchConfig>,
    ready: Vec<Arc<AtomicBool>>,
}

/// The SSE routes of a worker, resolved against its settings and ready to run.
struct SseBackend {
    routes: Vec<Prepared>,
    client: reqwest::Client,
}

/// The SSE routes of a worker (registered with `#[route(sse = ...)]`), if any. Nothing
/// touches the network yet; every problem is reported, not just the first.
pub(crate) fn prepare(
    filter: &Filter,
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Preparation {
    let defs = crate::registry::routes::<SseRouteDef>(filter);
    if defs.is_empty() {
        return Ok(None);
    }
    let settings = app.settings();
    let mut problems = crate::registry::name_clashes(&defs, "SSE routes");
    let mut routes = Vec::with_capacity(defs.len());
    for def in defs {
        let resolved = match Resolved::new(def, settings, lookup) {
            Ok(r) => r,
            Err(p) => {
                problems.extend(p);
                continue;
            }
        };
        let paths: Vec<Arc<str>> = def.paths.iter().map(|p| Arc::from(*p)).collect();
        // SSE has no acknowledgement: the actions only label metrics and logs ("reject": the
        // event is dropped).
        let actions = Actions {
            on_success: Action::Ack,
            on_exception: Action::Reject,
            on_decode_error: Action::Reject,
        };
        let cfg = DispatchConfig::new(
            def.name,
            def.paths,
            &resolved.bulk,
            actions,
            RouteMetrics::new(app.metrics(), def.name, &paths),
        );
        routes.push(Prepared {
            factory: (def.factory)(),
            resolved,
            paths,
            cfg: Arc::new(cfg),
            ready: Vec::new(),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("asyncworker/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            vec![RouteProblem::worker(format!(
                "cannot build the SSE HTTP client: {e}"
            ))]
        })?;
    for r in &mut routes {
        for p in &r.paths {
            let name = format!("sse {} {p}", r.cfg.route);
            r.ready.push(app.health().register(name));
        }
    }
    Ok(Some(Box::new(SseBackend { routes, client })))
}

impl Backend for SseBackend {
    fn kind(&self) -> &'static str {
        "sse"
    }

    fn describe(&self) -> Vec<String> {
        self.routes.iter().map(|r| r.resolved.describe()).collect()
    }

    fn required_state(&self) -> Vec<StateNeed> {
        self.routes
            .iter()
            .flat_map(|r| state_needs(r.resolved.def, &r.factory.0.required_state))
            .collect()
    }

    /// Per route, whether its server accepts a TCP connection. The URLs themselves were
    /// validated when the backend was prepared (a missing or non-http URL never gets here).
    /// Nothing is requested: a GET would start a stream, which a check must not consume.
    fn check<'a>(&'a self, app: &'a App) -> CheckFuture<'a> {
        let _ = app;
        Box::pin(async move {
            let routes = self.routes.iter().map(|r| check_route(&r.resolved));
            futures_util::future::join_all(routes)
                .await
                .into_iter()
                .flatten()
                .collect()
        })
    }

    fn run(
        self: Box<Self>,
        app: App,
        stop: CancellationToken,
        deadline: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'static>> {
        Box::pin(async move {
            self.consume(app, stop, deadline).await;
            Ok(())
        })
    }
}

/// How long `--check` waits for an SSE server to accept a connection.
const CHECK_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One line per server (`host:port`) a route streams from, usually one: whether a TCP
/// connection to it opens within [`CHECK_CONNECT_TIMEOUT`]. The connection is closed at once.
async fn check_route(route: &Resolved) -> Vec<CheckLine> {
    let name = route.def.name;
    let mut servers: Vec<(String, u16)> = Vec::new();
    for url in &route.urls {
        // `host_str` brackets an IPv6 address, which a socket address must not have.
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        if !servers.contains(&(host.clone(), port)) {
            servers.push((host, port));
        }
    }
    let mut lines = Vec::with_capacity(servers.len());
    for (host, port) in servers {
        let connect = tokio::net::TcpStream::connect((host.as_str(), port));
        let (ok, found) = match tokio::time::timeout(CHECK_CONNECT_TIMEOUT, connect).await {
            Ok(Ok(stream)) => {
                drop(stream);
                (true, format!("{host}:{port} accepts connections"))
            }
            Ok(Err(e)) => (false, format!("cannot connect to {host}:{port}: {e}")),
            Err(_) => (
                false,
                format!(
                    "{host}:{port} did not accept a connection within {CHECK_CONNECT_TIMEOUT:?}"
                ),
            ),
        };
        lines.push(CheckLine {
            ok,
            line: format!(
                "sse {name}: url={:?} paths={:?}: {found}",
                route.base, route.def.paths
            ),
        });
    }
    lines
}

impl SseBackend {
    /// Streams until `stop`, then closes the streams, hands partial bulks over and waits for
    /// the handlers within `deadline`. A stream stopped by a 204 does not end the backend.
    async fn consume(self, app: App, stop: CancellationToken, deadline: Duration) {
        let mut tasks = JoinSet::new();
        let m = app.metrics();
        for route in &self.routes {
            let (tx, rx) = mpsc::channel(route.cfg.bulk_size.clamp(16, 1024));
            tasks.spawn(
                route
                    .factory
                    .0
                    .runner
                    .dispatcher(Arc::clone(&route.cfg), app.clone(), rx),
            );
            let name = route.cfg.route.to_string();
            let route_l = RouteLabels {
                route: name.clone(),
            };
            for ((path, url), ready) in route
                .paths
                .iter()
                .zip(&route.resolved.urls)
                .zip(&route.ready)
            {
                let oversized = m
                    .sse_events
                    .get_or_create(&OutcomeLabels {
                        route: name.clone(),
                        queue: path.to_string(),
                        outcome: "oversized".to_owned(),
                    })
                    .clone();
                let counters = StreamCounters {
                    oversized,
                    bytes: m.sse_bytes.get_or_create(&route_l).clone(),
                    reconnects: m.sse_reconnects.get_or_create(&route_l).clone(),
                };
                let stream = Stream {
                    route: Arc::clone(&route.cfg.route),
                    path: Arc::clone(path),
                    url: url.clone(),
                    headers: route.resolved.headers.clone(),
                    client: self.client.clone(),
                    idle_timeout: Duration::from_millis(route.resolved.options.idle_timeout_ms),
                    max_event_size: usize::try_from(route.resolved.options.max_event_size)
                        .unwrap_or(usize::MAX),
                    ready: Arc::clone(ready),
                    counters: Arc::new(counters),
                };
                tasks.spawn(stream.run(tx.clone(), stop.clone()));
            }
        }
        stop.cancelled().await;
        tracing::info!(deadline = ?deadline, "SSE: streams closed; handing partial bulks over");
        crate::drain::drain(
            &mut tasks,
            deadline,
            "SSE",
            "abandoning unfinished handler calls",
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation() {
        let env = |k: &str| (k == "TOKEN").then(|| "s3cr3t".to_owned());
        assert_eq!(
            interpolate("Bearer ${TOKEN}", &env).as_deref(),
            Ok("Bearer s3cr3t")
        );
        assert_eq!(
            interpolate("$$5 $x ${TOKEN}$", &env).as_deref(),
            Ok("$5 $x s3cr3t$")
        );
        assert_eq!(interpolate("${NOPE}", &env), Err("NOPE".to_owned()));
        assert_eq!(interpolate("${unclosed", &env).as_deref(), Ok("${unclosed"));
    }
}
