//! Settings read from `ASYNCWORKER_*` environment variables, overridable with `main!(key = value)`.

use std::fmt;
use std::time::Duration;

/// Overrides passed to [`main!`](crate::main); every field left `None` falls back to the
/// environment, then to the default.
///
/// A key that is not a field here is a compile error at the key:
///
/// ```
/// # use asyncworker::prelude::*;
/// # #[route(amqp = ["q"])] async fn h(_m: Vec<Message<u8>>) {}
/// asyncworker::main!(shutdown_timeout = "10s", amqp_prefetch = 256);
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct MainOptions {
    /// `ASYNCWORKER_AMQP_URL`: broker URL, or a comma-separated list tried in turn.
    pub amqp_url: Option<&'static str>,
    /// `ASYNCWORKER_AMQP_PREFETCH`: default prefetch per consumer channel.
    pub amqp_prefetch: Option<u16>,
    /// `ASYNCWORKER_AMQP_HEARTBEAT`: heartbeat in seconds asked of the broker.
    pub amqp_heartbeat: Option<u16>,
    /// `ASYNCWORKER_AMQP_QUEUE_PREFIX`: prepended to every queue name (one broker, several
    /// environments).
    pub amqp_queue_prefix: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_HOST`.
    pub http_host: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_PORT`.
    pub http_port: Option<u16>,
    /// `ASYNCWORKER_HTTP_ENABLED`: serve the built-in endpoints (health, metrics).
    pub http_enabled: Option<bool>,
    /// `ASYNCWORKER_HTTP_BODY_LIMIT`: largest request body in bytes.
    pub http_body_limit: Option<usize>,
    /// `ASYNCWORKER_HTTP_HEADER_READ_TIMEOUT`: time a client has to send a request head, e.g. `"30s"`.
    pub http_header_read_timeout: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_REQUEST_TIMEOUT`: time a request may take until its response head, e.g. `"30s"`.
    pub http_request_timeout: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_MAX_CONNECTIONS`: connections served at once.
    pub http_max_connections: Option<usize>,
    /// `ASYNCWORKER_HTTP_LIVE_PATH`: path of the liveness endpoint.
    pub http_live_path: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_READY_PATH`: path of the readiness endpoint.
    pub http_ready_path: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_METRICS_PATH`: path of the Prometheus endpoint.
    pub http_metrics_path: Option<&'static str>,
    /// `ASYNCWORKER_SSE_URL`.
    pub sse_url: Option<&'static str>,
    /// `ASYNCWORKER_SHUTDOWN_TIMEOUT`: how long in-flight work may take to finish, e.g. `"30s"`.
    pub shutdown_timeout: Option<&'static str>,
    /// `ASYNCWORKER_AMQP_PUBLISH_TIMEOUT`: how long a publish may wait for a connection and
    /// its confirm, e.g. `"30s"`.
    pub amqp_publish_timeout: Option<&'static str>,
    /// `ASYNCWORKER_LOG`: a tracing filter such as `"info,asyncworker=debug"`.
    pub log: Option<&'static str>,
    /// `ASYNCWORKER_LOG_FORMAT`: `"pretty"` or `"json"`.
    pub log_format: Option<&'static str>,
    /// Install asyncworker's tracing subscriber (default `true`; set `false` to keep your own).
    pub init_tracing: Option<bool>,
}

impl MainOptions {
    /// No overrides.
    pub const DEFAULT: MainOptions = MainOptions {
        amqp_url: None,
        amqp_prefetch: None,
        amqp_heartbeat: None,
        amqp_queue_prefix: None,
        http_host: None,
        http_port: None,
        http_enabled: None,
        http_body_limit: None,
        http_header_read_timeout: None,
        http_request_timeout: None,
        http_max_connections: None,
        http_live_path: None,
        http_ready_path: None,
        http_metrics_path: None,
        sse_url: None,
        shutdown_timeout: None,
        amqp_publish_timeout: None,
        log: None,
        log_format: None,
        init_tracing: None,
    };
}

impl Default for MainOptions {
    fn default() -> Self {
        MainOptions::DEFAULT
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// The resolved settings of a worker.
///
/// ```
/// let s = asyncworker::Settings::default();
/// assert_eq!(s.amqp_prefetch, 128);
/// assert_eq!(s.shutdown_timeout, std::time::Duration::from_secs(30));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// Broker URLs, tried in order when connecting.
    pub amqp_urls: Vec<String>,
    /// Default prefetch per consumer channel.
    pub amqp_prefetch: u16,
    /// Heartbeat in seconds.
    pub amqp_heartbeat: u16,
    /// Prepended to every queue name.
    pub amqp_queue_prefix: String,
    /// Address the HTTP server binds.
    pub http_host: String,
    /// Port the HTTP server binds (0: any free port).
    pub http_port: u16,
    /// Whether the built-in endpoints (liveness, readiness, metrics) are served. The HTTP
    /// server runs when this is on or the worker has `#[route(http = ...)]` routes.
    pub http_enabled: bool,
    /// Largest request body in bytes (default 2 MiB); a larger one gets 413.
    pub http_body_limit: usize,
    /// Time a client has to send each request head, and the longest idle gap on a keep-alive
    /// connection (default 30 s); then the connection is closed.
    pub http_header_read_timeout: Duration,
    /// Time a request may take until its response head, body reading included (default
    /// 30 s); then it gets 408.
    pub http_request_timeout: Duration,
    /// Connections served at once (default 1024); more wait in the listen backlog.
    pub http_max_connections: usize,
    /// Path of the liveness endpoint (default `/health/live`).
    pub http_live_path: String,
    /// Path of the readiness endpoint (default `/health/ready`).
    pub http_ready_path: String,
    /// Path of the Prometheus endpoint (default `/metrics`).
    pub http_metrics_path: String,
    /// Base URL of SSE routes without their own `url`.
    pub sse_url: Option<String>,
    /// Deadline for in-flight work at shutdown.
    pub shutdown_timeout: Duration,
    /// Tracing filter.
    pub log: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
    /// Whether asyncworker installs its tracing subscriber.
    pub init_tracing: bool,
    /// The backends to run (`amqp`, `http`, `sse`); `None` runs all. Set by `--only`, so one
    /// codebase can be deployed as separate consumer and API processes.
    pub only: Option<Vec<String>>,
    /// Per-route overrides set in code, keyed by route name. The environment offers the same
    /// as `ASYNCWORKER_ROUTE_<NAME>_<OPTION>` (e.g. `ASYNCWORKER_ROUTE_DRAIN_BULK_SIZE=500`);
    /// values set here win over it.
    pub routes: std::collections::BTreeMap<String, RouteOverride>,
    /// URLs of named connections (`connection = "name"` on routes, `app.amqp().connection(..)`),
    /// set in code. The environment offers the same as `ASYNCWORKER_AMQP_<NAME>_URL`; values set
    /// here win over it.
    pub amqp_connections: std::collections::BTreeMap<String, Vec<String>>,
    /// How long a publish may wait for a connection (during a reconnect, say) and for its
    /// confirm before it fails (`ASYNCWORKER_AMQP_PUBLISH_TIMEOUT`, default 30 s).
    pub amqp_publish_timeout: Duration,
}

/// Deployment-time changes to one route's options, without recompiling.
///
/// ```
/// use asyncworker::{RouteOverride, Settings};
///
/// let mut settings = Settings::default();
/// settings.routes.insert("drain".into(), RouteOverride {
///     queues: Some(vec!["orders-staging".into()]),
///     bulk_size: Some(500),
///     ..RouteOverride::default()
/// });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteOverride {
    /// Replaces the queue list (`_QUEUES`, comma-separated).
    pub queues: Option<Vec<String>>,
    /// Replaces `bulk_size` (`_BULK_SIZE`); only for handlers taking `Vec<Message<T>>`.
    pub bulk_size: Option<u16>,
    /// Replaces `bulk_flush` (`_BULK_FLUSH`, e.g. `250ms`).
    pub bulk_flush: Option<Duration>,
    /// Replaces `prefetch` (`_PREFETCH`).
    pub prefetch: Option<u16>,
    /// Replaces `concurrency` (`_CONCURRENCY`).
    pub concurrency: Option<u16>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            amqp_urls: vec!["amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()],
            amqp_prefetch: 128,
            amqp_heartbeat: 60,
            amqp_queue_prefix: String::new(),
            http_host: "127.0.0.1".to_owned(),
            http_port: 8080,
            http_enabled: true,
            http_body_limit: 2 * 1024 * 1024,
            http_header_read_timeout: Duration::from_secs(30),
            http_request_timeout: Duration::from_secs(30),
            http_max_connections: 1024,
            http_live_path: "/health/live".to_owned(),
            http_ready_path: "/health/ready".to_owned(),
            http_metrics_path: "/metrics".to_owned(),
            sse_url: None,
            shutdown_timeout: Duration::from_secs(30),
            log: None,
            log_format: LogFormat::Pretty,
            init_tracing: true,
            only: None,
            routes: std::collections::BTreeMap::new(),
            amqp_connections: std::collections::BTreeMap::new(),
            amqp_publish_timeout: Duration::from_secs(30),
        }
    }
}

/// A setting whose value could not be used; names the variable and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// Where the value came from, e.g. `ASYNCWORKER_AMQP_PREFETCH` or `main!(amqp_prefetch)`.
    pub source: String,
    /// The rejected value.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value {:?} for {}: expected {}",
            self.value, self.source, self.expected
        )
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// The URLs of a connection: the default one (`None`) or a named one, from
    /// [`Settings::amqp_connections`] or else `ASYNCWORKER_AMQP_<NAME>_URL` (comma-separated for
    /// failover). The error names the variable to set.
    pub(crate) fn connection_urls(
        &self,
        name: Option<&str>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<String>, String> {
        let Some(name) = name else {
            return Ok(self.amqp_urls.clone());
        };
        if let Some(urls) = self.amqp_connections.get(name) {
            return Ok(urls.clone());
        }
        let var = format!(
            "ASYNCWORKER_AMQP_{}_URL",
            name.to_ascii_uppercase().replace(['-', '.', ' '], "_")
        );
        match lookup(&var) {
            Some(v) => Ok(v
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect()),
            None => Err(format!(
                "connection `{name}` has no URL: set {var} (or Settings::amqp_connections)"
            )),
        }
    }

    /// Reads the process environment, then applies `overrides` (which win over the environment).
    pub fn from_env(overrides: &MainOptions) -> Result<Settings, SettingsError> {
        Settings::from_lookup(|k| std::env::var(k).ok(), overrides)
    }

    /// Like [`Settings::from_env`] with an arbitrary variable lookup (used by tests).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        overrides: &MainOptions,
    ) -> Result<Settings, SettingsError> {
        let mut s = Settings::default();
        // Each setting: the main! override wins, else the variable, else the default.
        let pick = |var: &'static str, key: &'static str, over: Option<String>| {
            over.map(|v| (format!("main!({key})"), v))
                .or_else(|| lookup(var).map(|v| (var.to_owned(), v)))
        };
        if let Some((src, v)) = pick(
            "ASYNCWORKER_AMQP_URL",
            "amqp_url",
            overrides.amqp_url.map(str::to_owned),
        ) {
            let urls: Vec<String> = v
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect();
            if urls.is_empty() || urls.iter().any(|u| !u.starts_with("amqp")) {
                return Err(err(
                    src,
                    v,
                    "one or more comma-separated amqp:// or amqps:// URLs",
                ));
            }
            s.amqp_urls = urls;
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_AMQP_PREFETCH",
            "amqp_prefetch",
            overrides.amqp_prefetch.map(|n| n.to_string()),
        ) {
            s.amqp_prefetch = match v.trim().parse::<u16>() {
                Ok(n) if n > 0 => n,
                _ => return Err(err(src, v, "an integer from 1 to 65535")),
            };
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_AMQP_HEARTBEAT",
            "amqp_heartbeat",
            overrides.amqp_heartbeat.map(|n| n.to_string()),
        ) {
            s.amqp_heartbeat = v
                .trim()
                .parse()
                .map_err(|_| err(src, v, "seconds, an integer from 0 to 65535"))?;
        }
        if let Some((_, v)) = pick(
            "ASYNCWORKER_AMQP_QUEUE_PREFIX",
            "amqp_queue_prefix",
            overrides.amqp_queue_prefix.map(str::to_owned),
        ) {
            s.amqp_queue_prefix = v;
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_HTTP_HOST",
            "http_host",
            overrides.http_host.map(str::to_owned),
        ) {
            if v.trim().is_empty() {
                return Err(err(src, v, "a host name or IP address"));
            }
            s.http_host = v;
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_HTTP_PORT",
            "http_port",
            overrides.http_port.map(|n| n.to_string()),
        ) {
            s.http_port = v
                .trim()
                .parse()
                .map_err(|_| err(src, v, "a port number from 0 to 65535"))?;
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_HTTP_ENABLED",
            "http_enabled",
            overrides.http_enabled.map(|b| b.to_string()),
        ) {
            s.http_enabled = match v.trim() {
                "1" | "true" | "on" | "yes" => true,
                "0" | "false" | "off" | "no" => false,
                _ => return Err(err(src, v, "true or false")),
            };
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_HTTP_BODY_LIMIT",
            "http_body_limit",
            overrides.http_body_limit.map(|n| n.to_string()),
        ) {
            s.http_body_limit = parse_size(&v).ok_or_else(|| {
                err(
                    src,
                    v,
                    "a size in bytes such as \"2097152\", \"512KiB\" or \"2MiB\"",
                )
            })?;
        }
        for (var, key, over, slot) in [
            (
                "ASYNCWORKER_HTTP_HEADER_READ_TIMEOUT",
                "http_header_read_timeout",
                overrides.http_header_read_timeout,
                &mut s.http_header_read_timeout,
            ),
            (
                "ASYNCWORKER_HTTP_REQUEST_TIMEOUT",
                "http_request_timeout",
                overrides.http_request_timeout,
                &mut s.http_request_timeout,
            ),
        ] {
            if let Some((src, v)) = pick(var, key, over.map(str::to_owned)) {
                *slot = match parse_duration(&v) {
                    Some(d) if !d.is_zero() => d,
                    _ => return Err(err(src, v, "a duration above zero such as \"30s\"")),
                };
            }
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_HTTP_MAX_CONNECTIONS",
            "http_max_connections",
            overrides.http_max_connections.map(|n| n.to_string()),
        ) {
            s.http_max_connections = match v.trim().parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => return Err(err(src, v, "an integer from 1 to 1000000")),
            };
        }
        for (var, key, over, slot) in [
            (
                "ASYNCWORKER_HTTP_LIVE_PATH",
                "http_live_path",
                overrides.http_live_path,
                &mut s.http_live_path,
            ),
            (
                "ASYNCWORKER_HTTP_READY_PATH",
                "http_ready_path",
                overrides.http_ready_path,
                &mut s.http_ready_path,
            ),
            (
                "ASYNCWORKER_HTTP_METRICS_PATH",
                "http_metrics_path",
                overrides.http_metrics_path,
                &mut s.http_metrics_path,
            ),
        ] {
            if let Some((src, v)) = pick(var, key, over.map(str::to_owned)) {
                if !v.starts_with('/') || v.contains(['{', '}', '?', '#', ' ']) {
                    return Err(err(
                        src,
                        v,
                        "a path starting with `/`, without parameters or query",
                    ));
                }
                *slot = v;
            }
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_SSE_URL",
            "sse_url",
            overrides.sse_url.map(str::to_owned),
        ) {
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                return Err(err(src, v, "an http:// or https:// URL"));
            }
            s.sse_url = Some(v);
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_SHUTDOWN_TIMEOUT",
            "shutdown_timeout",
            overrides.shutdown_timeout.map(str::to_owned),
        ) {
            s.shutdown_timeout = parse_duration(&v)
                .ok_or_else(|| err(src, v, "a duration such as \"30s\", \"500ms\" or \"2m\""))?;
        }
        if let Some((src, v)) = pick(
            "ASYNCWORKER_AMQP_PUBLISH_TIMEOUT",
            "amqp_publish_timeout",
            overrides.amqp_publish_timeout.map(str::to_owned),
        ) {
            s.amqp_publish_timeout = parse_duration(&v)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| err(src, v, "a duration such as \"30s\" or \"500ms\""))?;
        }
        s.log = pick("ASYNCWORKER_LOG", "log", overrides.log.map(str::to_owned))
            .map(|(_, v)| v)
            .or_else(|| lookup("RUST_LOG"));
        if let Some((src, v)) = pick(
            "ASYNCWORKER_LOG_FORMAT",
            "log_format",
            overrides.log_format.map(str::to_owned),
        ) {
            s.log_format = match v.trim() {
                "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                _ => return Err(err(src, v, "`pretty` or `json`")),
            };
        }
        s.init_tracing = overrides.init_tracing.unwrap_or(true);
        Ok(s)
    }
}

fn err(source: String, value: String, expected: &'static str) -> SettingsError {
    SettingsError {
        source,
        value,
        expected,
    }
}

/// Parses `"2097152"`, `"512KiB"`, `"2MiB"`, `"1GiB"` (also `kB`, `MB`, `GB` as powers of 1000).
pub(crate) fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits == 0 {
        return None;
    }
    let n: usize = t[..digits].parse().ok()?;
    let unit: usize = match t[digits..].trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "kB" | "KB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// `ASYNCWORKER_ROUTE_<NAME>_<KEY>`: the route name upper-cased, anything but letters and
/// digits as `_`.
pub(crate) fn route_var(route: &str, key: &str) -> String {
    let name: String = route
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("ASYNCWORKER_ROUTE_{name}_{key}")
}

/// A route's deployment overrides: `ASYNCWORKER_ROUTE_<NAME>_{QUEUES,BULK_SIZE,BULK_FLUSH,
/// PREFETCH,CONCURRENCY}` from the environment, then [`Settings::routes`] (set in code) on top.
/// Every bad value is reported, naming the variable.
pub(crate) fn route_override(
    route: &str,
    settings: &Settings,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<RouteOverride, Vec<String>> {
    let mut problems = Vec::new();
    let mut over = RouteOverride::default();
    let bad = |key: &str, v: &str, expected: &str| {
        format!(
            "invalid value {v:?} for {}: expected {expected}",
            route_var(route, key)
        )
    };
    if let Some(v) = lookup(&route_var(route, "QUEUES")) {
        over.queues = Some(v.split(',').map(|q| q.trim().to_owned()).collect());
    }
    for (key, slot) in [
        ("BULK_SIZE", &mut over.bulk_size),
        ("PREFETCH", &mut over.prefetch),
        ("CONCURRENCY", &mut over.concurrency),
    ] {
        if let Some(v) = lookup(&route_var(route, key)) {
            match v.trim().parse::<u16>() {
                Ok(n) if n > 0 => *slot = Some(n),
                _ => problems.push(bad(key, &v, "an integer from 1 to 65535")),
            }
        }
    }
    if let Some(v) = lookup(&route_var(route, "BULK_FLUSH")) {
        match parse_duration(&v) {
            Some(d) if !d.is_zero() => over.bulk_flush = Some(d),
            _ => problems.push(bad(
                "BULK_FLUSH",
                &v,
                "a duration such as \"250ms\" or \"1s\"",
            )),
        }
    }
    if let Some(code) = settings.routes.get(route) {
        let c = code.clone();
        over.queues = c.queues.or(over.queues);
        over.bulk_size = c.bulk_size.or(over.bulk_size);
        over.bulk_flush = c.bulk_flush.or(over.bulk_flush);
        over.prefetch = c.prefetch.or(over.prefetch);
        over.concurrency = c.concurrency.or(over.concurrency);
    }
    if problems.is_empty() {
        Ok(over)
    } else {
        Err(problems)
    }
}

/// Parses `"500ms"`, `"30s"`, `"2m"`, `"1h30m"` or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            _ => return None,
        };
        total = total.checked_add(unit)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&str, &str)], o: MainOptions) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned(), &o)
    }

    #[test]
    fn defaults() {
        let s = with(&[], MainOptions::DEFAULT).unwrap();
        assert_eq!(s.amqp_urls, ["amqp://guest:guest@127.0.0.1:5672/%2f"]);
        assert_eq!(s.http_port, 8080);
    }

    #[test]
    fn bad_value_names_variable_and_value() {
        let e = with(
            &[("ASYNCWORKER_AMQP_PREFETCH", "lots")],
            MainOptions::DEFAULT,
        )
        .unwrap_err();
        assert_eq!(e.source, "ASYNCWORKER_AMQP_PREFETCH");
        assert_eq!(
            e.to_string(),
            "invalid value \"lots\" for ASYNCWORKER_AMQP_PREFETCH: expected an integer from 1 to 65535"
        );
        let e = with(
            &[("ASYNCWORKER_SHUTDOWN_TIMEOUT", "soon")],
            MainOptions::DEFAULT,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("ASYNCWORKER_SHUTDOWN_TIMEOUT"),
            "{e}"
        );
        let e = with(&[("ASYNCWORKER_LOG_FORMAT", "xml")], MainOptions::DEFAULT).unwrap_err();
        assert!(e.to_string().contains("\"xml\""), "{e}");
    }

    #[test]
    fn main_options_win_over_environment() {
        let mut o = MainOptions::DEFAULT;
        o.shutdown_timeout = Some("5s");
        let s = with(&[("ASYNCWORKER_SHUTDOWN_TIMEOUT", "60s")], o).unwrap();
        assert_eq!(s.shutdown_timeout, Duration::from_secs(5));
        let mut o = MainOptions::DEFAULT;
        o.shutdown_timeout = Some("never");
        let e = with(&[], o).unwrap_err();
        assert_eq!(e.source, "main!(shutdown_timeout)");
    }

    #[test]
    fn url_list_fails_over() {
        let s = with(
            &[("ASYNCWORKER_AMQP_URL", "amqp://a:5672, amqp://b:5672")],
            MainOptions::DEFAULT,
        )
        .unwrap();
        assert_eq!(s.amqp_urls, ["amqp://a:5672", "amqp://b:5672"]);
        assert!(
            with(
                &[("ASYNCWORKER_AMQP_URL", "http://x")],
                MainOptions::DEFAULT
            )
            .is_err()
        );
    }

    #[test]
    fn http_settings() {
        let s = with(&[], MainOptions::DEFAULT).unwrap();
        assert!(s.http_enabled);
        assert_eq!(s.http_body_limit, 2 * 1024 * 1024);
        assert_eq!(s.http_metrics_path, "/metrics");
        let s = with(
            &[
                ("ASYNCWORKER_HTTP_ENABLED", "false"),
                ("ASYNCWORKER_HTTP_BODY_LIMIT", "512KiB"),
                ("ASYNCWORKER_HTTP_HEADER_READ_TIMEOUT", "5s"),
                ("ASYNCWORKER_HTTP_REQUEST_TIMEOUT", "250ms"),
                ("ASYNCWORKER_HTTP_MAX_CONNECTIONS", "10"),
                ("ASYNCWORKER_HTTP_READY_PATH", "/ready"),
            ],
            MainOptions::DEFAULT,
        )
        .unwrap();
        assert!(!s.http_enabled);
        assert_eq!(s.http_body_limit, 512 * 1024);
        assert_eq!(s.http_header_read_timeout, Duration::from_secs(5));
        assert_eq!(s.http_request_timeout, Duration::from_millis(250));
        assert_eq!(s.http_max_connections, 10);
        assert_eq!(s.http_ready_path, "/ready");
        for (var, value) in [
            ("ASYNCWORKER_HTTP_ENABLED", "maybe"),
            ("ASYNCWORKER_HTTP_BODY_LIMIT", "2 lots"),
            ("ASYNCWORKER_HTTP_REQUEST_TIMEOUT", "0s"),
            ("ASYNCWORKER_HTTP_MAX_CONNECTIONS", "0"),
            ("ASYNCWORKER_HTTP_METRICS_PATH", "metrics"),
        ] {
            let e = with(&[(var, value)], MainOptions::DEFAULT).unwrap_err();
            assert_eq!(e.source, var);
        }
        let mut o = MainOptions::DEFAULT;
        o.http_enabled = Some(false);
        o.http_body_limit = Some(100);
        let s = with(&[("ASYNCWORKER_HTTP_ENABLED", "true")], o).unwrap();
        assert!(!s.http_enabled);
        assert_eq!(s.http_body_limit, 100);
        assert_eq!(parse_size("2MiB"), Some(2 << 20));
        assert_eq!(parse_size("10"), Some(10));
        assert_eq!(parse_size("MiB"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("s"), None);
    }

    #[test]
    fn route_overrides_from_env_with_code_winning() {
        let env = |k: &str| match k {
            "ASYNCWORKER_ROUTE_DRAIN_ORDERS_QUEUES" => Some("a, b".to_owned()),
            "ASYNCWORKER_ROUTE_DRAIN_ORDERS_BULK_SIZE" => Some("50".to_owned()),
            "ASYNCWORKER_ROUTE_DRAIN_ORDERS_BULK_FLUSH" => Some("250ms".to_owned()),
            _ => None,
        };
        let mut s = Settings::default();
        let o = route_override("drain-orders", &s, &env).unwrap();
        assert_eq!(o.queues, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(o.bulk_size, Some(50));
        assert_eq!(o.bulk_flush, Some(Duration::from_millis(250)));
        assert_eq!(o.prefetch, None);
        s.routes.insert(
            "drain-orders".into(),
            RouteOverride {
                bulk_size: Some(7),
                ..RouteOverride::default()
            },
        );
        let o = route_override("drain-orders", &s, &env).unwrap();
        assert_eq!(o.bulk_size, Some(7), "code wins over the environment");
        assert_eq!(o.bulk_flush, Some(Duration::from_millis(250)));
    }

    #[test]
    fn bad_route_overrides_name_every_variable() {
        let env = |k: &str| match k {
            "ASYNCWORKER_ROUTE_X_PREFETCH" => Some("0".to_owned()),
            "ASYNCWORKER_ROUTE_X_BULK_FLUSH" => Some("soon".to_owned()),
            _ => None,
        };
        let problems = route_override("x", &Settings::default(), &env).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("ASYNCWORKER_ROUTE_X_PREFETCH") && problems[0].contains("\"0\"")
        );
        assert!(problems[1].contains("ASYNCWORKER_ROUTE_X_BULK_FLUSH"));
    }
}
