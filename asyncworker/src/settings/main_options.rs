//! `MainOptions`: the overrides `main!(key = value)` passes, the macro's contract with the runtime.

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
    /// `ASYNCWORKER_APP_NAME`: the application's name, shared by its replicas (default: the
    /// binary's file name); `singleton = true` schedules hold one lease per name and route.
    pub app_name: Option<&'static str>,
    /// `ASYNCWORKER_AMQP_URL`: broker URL, or a comma-separated list (a cluster's nodes) tried
    /// in turn: each connection starts at a random URL, so workers spread over the nodes, and
    /// after losing its node moves on to the next URL at once (lapin's recovery, which retries
    /// the same URL, is only used with a single URL). The URL's query takes lapin's
    /// connection options, e.g. `?frame_max=32768` (default 131072, RabbitMQ's): lapin's
    /// buffers per connection are 64 frames, and a message whose headers exceed one frame
    /// cannot be received.
    pub amqp_url: Option<&'static str>,
    /// `ASYNCWORKER_AMQP_PREFETCH`: default prefetch per consumer channel.
    pub amqp_prefetch: Option<u16>,
    /// `ASYNCWORKER_AMQP_HEARTBEAT`: heartbeat in seconds asked of the broker.
    pub amqp_heartbeat: Option<u16>,
    /// `ASYNCWORKER_AMQP_QUEUE_PREFIX`: prepended to every queue name (one broker, several
    /// environments).
    pub amqp_queue_prefix: Option<&'static str>,
    /// `ASYNCWORKER_AMQP_MAX_REDELIVERIES`: deliveries of an always-failing message before it
    /// is rejected, on routes without `retries` (0: never).
    pub amqp_max_redeliveries: Option<u16>,
    /// `ASYNCWORKER_AMQP_TLS_CA_FILE`: PEM file of extra roots (a private CA) that `amqps://`
    /// servers are verified against, besides the system roots.
    pub amqp_tls_ca_file: Option<&'static str>,
    /// `ASYNCWORKER_AMQP_TLS_CERT_FILE`: PEM client certificate (chain) shown to the broker.
    pub amqp_tls_cert_file: Option<&'static str>,
    /// `ASYNCWORKER_AMQP_TLS_KEY_FILE`: PEM private key of the client certificate.
    pub amqp_tls_key_file: Option<&'static str>,
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
    /// `ASYNCWORKER_HTTP_MAX_IN_FLIGHT`: user requests handled at once; more get 503 at once
    /// (0: no limit).
    pub http_max_in_flight: Option<usize>,
    /// `ASYNCWORKER_HTTP_MAX_HEADER_SIZE`: largest request head in bytes; a larger one gets
    /// 431.
    pub http_max_header_size: Option<usize>,
    /// `ASYNCWORKER_HTTP_LIVE_PATH`: path of the liveness endpoint.
    pub http_live_path: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_READY_PATH`: path of the readiness endpoint.
    pub http_ready_path: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_METRICS_PATH`: path of the Prometheus endpoint.
    pub http_metrics_path: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_OPENAPI_PATH`: path of the OpenAPI document (`""`: not served).
    pub http_openapi_path: Option<&'static str>,
    /// `ASYNCWORKER_HTTP_DOCS_PATH`: path of the docs page (`""`: not served; feature `docs`).
    pub http_docs_path: Option<&'static str>,
    /// `ASYNCWORKER_SSE_URL`.
    pub sse_url: Option<&'static str>,
    /// `ASYNCWORKER_SSE_TLS_CA_FILE`: a PEM file of extra roots for `https://` SSE servers.
    pub sse_tls_ca_file: Option<&'static str>,
    /// `ASYNCWORKER_SHUTDOWN_TIMEOUT`: how long in-flight work may take to finish, e.g. `"30s"`.
    pub shutdown_timeout: Option<&'static str>,
    /// `ASYNCWORKER_AMQP_PUBLISH_TIMEOUT`: how long a publish may wait for a connection and
    /// its confirm, e.g. `"30s"`.
    pub amqp_publish_timeout: Option<&'static str>,
    /// `ASYNCWORKER_DRAIN`: run as `--drain` does, until the AMQP queues are empty.
    pub drain: Option<bool>,
    /// `ASYNCWORKER_LOG`: a tracing filter such as `"info,asyncworker=debug"`.
    pub log: Option<&'static str>,
    /// `ASYNCWORKER_LOG_FORMAT`: `"pretty"` or `"json"`.
    pub log_format: Option<&'static str>,
    /// Install asyncworker's tracing subscriber (default `true`; set `false` to keep your own).
    pub init_tracing: Option<bool>,
    /// Your own tracing layers beside asyncworker's logs (see
    /// [`TracingLayers`](crate::runtime::TracingLayers)).
    pub tracing_layers: Option<crate::runtime::TracingLayers>,
    /// Tower layers around every HTTP route of yours (see
    /// [`HttpLayers`](crate::http::HttpLayers)). Code only, like `tracing_layers`.
    #[cfg(feature = "http")]
    pub http_layers: Option<crate::http::HttpLayers>,
    /// The application's version, for the documents (`--asyncapi`); code only. `main!` sets
    /// it to the worker crate's `CARGO_PKG_VERSION` unless given.
    pub app_version: Option<&'static str>,
}

impl MainOptions {
    /// No overrides.
    pub const DEFAULT: MainOptions = MainOptions {
        app_name: None,
        app_version: None,
        amqp_url: None,
        amqp_prefetch: None,
        amqp_heartbeat: None,
        amqp_queue_prefix: None,
        amqp_max_redeliveries: None,
        amqp_tls_ca_file: None,
        amqp_tls_cert_file: None,
        amqp_tls_key_file: None,
        http_host: None,
        http_port: None,
        http_enabled: None,
        http_body_limit: None,
        http_header_read_timeout: None,
        http_request_timeout: None,
        http_max_connections: None,
        http_max_in_flight: None,
        http_max_header_size: None,
        http_live_path: None,
        http_ready_path: None,
        http_metrics_path: None,
        http_openapi_path: None,
        http_docs_path: None,
        sse_url: None,
        sse_tls_ca_file: None,
        shutdown_timeout: None,
        amqp_publish_timeout: None,
        drain: None,
        log: None,
        log_format: None,
        init_tracing: None,
        tracing_layers: None,
        #[cfg(feature = "http")]
        http_layers: None,
    };
}

impl Default for MainOptions {
    fn default() -> Self {
        MainOptions::DEFAULT
    }
}
