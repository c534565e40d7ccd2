//! The resolved settings of a worker: `Settings`, its defaults, and the `LogFormat` it names.

use std::time::Duration;

use super::{AmqpTls, RouteOverride};

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
    /// Broker URLs (`ASYNCWORKER_AMQP_URL`), tried in turn when connecting, from a random one
    /// (workers given a cluster's nodes spread over them) and moving past a node that was lost.
    pub amqp_urls: Vec<String>,
    /// Default prefetch per consumer channel.
    pub amqp_prefetch: u16,
    /// Heartbeat in seconds.
    pub amqp_heartbeat: u16,
    /// Prepended to every queue name.
    pub amqp_queue_prefix: String,
    /// On routes without `retries`: deliveries of a message that fails every time before it
    /// is rejected (`ASYNCWORKER_AMQP_MAX_REDELIVERIES`, default 20; 0 turns the poison guard
    /// off). Routes set their own with `max_redeliveries = N`.
    pub amqp_max_redeliveries: u16,
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
    /// Requests to your routes handled at once (`ASYNCWORKER_HTTP_MAX_IN_FLIGHT`, default 0:
    /// no limit but the connection cap); beyond it a request gets 503 with `Retry-After` at
    /// once. The built-in endpoints are never refused.
    pub http_max_in_flight: usize,
    /// Largest request head (request line and headers) in bytes
    /// (`ASYNCWORKER_HTTP_MAX_HEADER_SIZE`, default 16 KiB, at least 8 KiB); a larger one gets
    /// 431 and the connection is closed.
    pub http_max_header_size: usize,
    /// Path of the liveness endpoint (default `/health/live`).
    pub http_live_path: String,
    /// Path of the readiness endpoint (default `/health/ready`).
    pub http_ready_path: String,
    /// Path of the Prometheus endpoint (default `/metrics`).
    pub http_metrics_path: String,
    /// Path of the OpenAPI document (`ASYNCWORKER_HTTP_OPENAPI_PATH`, default
    /// `/openapi.json`); `None` (the variable set empty): not served, and no docs page.
    pub http_openapi_path: Option<String>,
    /// Path of the docs page (`ASYNCWORKER_HTTP_DOCS_PATH`, default `/docs` with the `docs`
    /// feature); `None` (the variable set empty, or no `docs` feature): not served.
    pub http_docs_path: Option<String>,
    /// Base URL of SSE routes without their own `url`.
    pub sse_url: Option<String>,
    /// A PEM file of extra root certificates (a private CA) that `https://` SSE servers are
    /// verified against, besides the system's (`ASYNCWORKER_SSE_TLS_CA_FILE`).
    pub sse_tls_ca_file: Option<std::path::PathBuf>,
    /// Deadline for in-flight work at shutdown.
    pub shutdown_timeout: Duration,
    /// Tracing filter.
    pub log: Option<String>,
    /// Log format.
    pub log_format: LogFormat,
    /// Whether asyncworker installs its tracing subscriber.
    pub init_tracing: bool,
    /// Your own tracing layers, installed with asyncworker's subscriber (under its filter,
    /// beside its log output); see [`TracingLayers`](crate::runtime::TracingLayers). Code
    /// only, like `init_tracing`.
    pub tracing_layers: Option<crate::runtime::TracingLayers>,
    /// Tower layers around every HTTP route of yours, from `main!(http_layers = ...)`; see
    /// [`HttpLayers`](crate::http::HttpLayers). Code only, like `tracing_layers`.
    #[cfg(feature = "http")]
    pub http_layers: Option<crate::http::HttpLayers>,
    /// The backends to run (`amqp`, `http`, `sse`); `None` runs all. Set by `--only`, so one
    /// codebase can be deployed as separate consumer and API processes.
    pub only: Option<Vec<String>>,
    /// Batch run (`--drain`, `ASYNCWORKER_DRAIN=true`): consume until every AMQP route's queues
    /// are empty and nothing is in flight, then stop and exit 0. SSE and scheduled routes are
    /// not started (they never run out of work); the HTTP server runs meanwhile.
    pub drain: bool,
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
    /// The TLS files of the default connection's `amqps://` URLs
    /// (`ASYNCWORKER_AMQP_TLS_CA_FILE`, `_CERT_FILE`, `_KEY_FILE`).
    pub amqp_tls: AmqpTls,
    /// The TLS files of named connections, set in code. The environment offers the same as
    /// `ASYNCWORKER_AMQP_<NAME>_TLS_CA_FILE` (and `_CERT_FILE`, `_KEY_FILE`); an entry here wins
    /// over all three variables.
    pub amqp_connections_tls: std::collections::BTreeMap<String, AmqpTls>,
    /// The application's name (`ASYNCWORKER_APP_NAME`, default the binary's file name): the
    /// replicas that share it, and a broker, share the leases of `singleton = true` schedules
    /// (`asyncworker.lease.<app>.<route>`). Up to 100 bytes, no whitespace or control
    /// characters.
    pub app_name: String,
    /// The application's version, as the documents (`--asyncapi`) show it: what `main!`
    /// passes (the worker crate's version), else `0.0.0`.
    pub app_version: String,
}

/// The longest application name, in bytes: a lease queue, `asyncworker.lease.<app>.<route>`,
/// must fit the broker's 255 bytes with room for the route's name.
pub(crate) const APP_NAME_MAX: usize = 100;

/// The default application name: the running binary's file name without extension (else
/// `argv[0]`'s), made valid: characters a name cannot hold become `_`, and it is cut to
/// [`APP_NAME_MAX`] bytes.
pub(crate) fn default_app_name() -> String {
    let exe = std::env::current_exe()
        .ok()
        .or_else(|| std::env::args_os().next().map(Into::into));
    let stem = exe
        .as_deref()
        .and_then(std::path::Path::file_stem)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name: String = stem
        .chars()
        .map(|c| if app_name_char(c) { c } else { '_' })
        .collect();
    while name.len() > APP_NAME_MAX {
        name.pop();
    }
    if name.is_empty() {
        name.push_str("asyncworker");
    }
    name
}

/// Whether `c` may appear in an application name.
pub(crate) fn app_name_char(c: char) -> bool {
    !c.is_whitespace() && !c.is_control()
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            amqp_urls: vec!["amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()],
            amqp_prefetch: 128,
            amqp_heartbeat: 60,
            amqp_queue_prefix: String::new(),
            amqp_max_redeliveries: 20,
            http_host: "127.0.0.1".to_owned(),
            http_port: 8080,
            http_enabled: true,
            http_body_limit: 2 * 1024 * 1024,
            http_header_read_timeout: Duration::from_secs(30),
            http_request_timeout: Duration::from_secs(30),
            http_max_connections: 1024,
            http_max_in_flight: 0,
            http_max_header_size: 16 * 1024,
            http_live_path: "/health/live".to_owned(),
            http_ready_path: "/health/ready".to_owned(),
            http_metrics_path: "/metrics".to_owned(),
            http_openapi_path: Some("/openapi.json".to_owned()),
            http_docs_path: cfg!(feature = "docs").then(|| "/docs".to_owned()),
            sse_url: None,
            sse_tls_ca_file: None,
            shutdown_timeout: Duration::from_secs(30),
            log: None,
            log_format: LogFormat::Pretty,
            init_tracing: true,
            tracing_layers: None,
            #[cfg(feature = "http")]
            http_layers: None,
            only: None,
            drain: false,
            routes: std::collections::BTreeMap::new(),
            amqp_connections: std::collections::BTreeMap::new(),
            amqp_publish_timeout: Duration::from_secs(30),
            amqp_tls: AmqpTls::default(),
            amqp_connections_tls: std::collections::BTreeMap::new(),
            app_name: default_app_name(),
            app_version: "0.0.0".to_owned(),
        }
    }
}
