//! Reading `ASYNCWORKER_*` variables into `Settings`, with `main!` overrides on top: one table
//! row per variable, so that adding a setting is adding a row.

use super::parse::{
    parse_amqp_urls, parse_app_name, parse_bool, parse_count, parse_duration, parse_endpoint_path,
    parse_host, parse_http_url, parse_in, parse_int, parse_log_format, parse_nonzero_duration,
    parse_readable_file, parse_size, parse_text,
};
use super::{MainOptions, Settings, SettingsError};

/// One setting: the variable that sets it, the `main!` key that overrides it, and the parser
/// that stores it into its field.
struct Var {
    /// The environment variable, e.g. `ASYNCWORKER_AMQP_PREFETCH`.
    name: &'static str,
    /// The `main!` key, e.g. `amqp_prefetch`: the variable without `ASYNCWORKER_`, lower-cased.
    key: &'static str,
    /// The `main!` value, as text so that both sources go through the same parser.
    given: fn(&MainOptions) -> Option<String>,
    /// Parses a value into its field; `None` refuses it and leaves the field alone.
    set: fn(&mut Settings, &str) -> Option<()>,
    /// What `set` accepts, for the error message.
    expected: &'static str,
}

/// A `main!` value as text (`&str`, integers and booleans alike).
fn text(value: Option<impl ToString>) -> Option<String> {
    value.map(|v| v.to_string())
}

/// Every variable, in the order they are checked (the first bad value is the error reported).
const VARS: &[Var] = &[
    Var {
        name: "ASYNCWORKER_APP_NAME",
        key: "app_name",
        given: |o| text(o.app_name),
        set: |s, v| parse_app_name(v).map(|n| s.app_name = n),
        expected: "a name of 1 to 100 bytes without whitespace or control characters",
    },
    Var {
        name: "ASYNCWORKER_AMQP_URL",
        key: "amqp_url",
        given: |o| text(o.amqp_url),
        set: |s, v| parse_amqp_urls(v).map(|urls| s.amqp_urls = urls),
        expected: "one or more comma-separated amqp:// or amqps:// URLs",
    },
    Var {
        name: "ASYNCWORKER_AMQP_PREFETCH",
        key: "amqp_prefetch",
        given: |o| text(o.amqp_prefetch),
        set: |s, v| parse_count(v).map(|n| s.amqp_prefetch = n),
        expected: "an integer from 1 to 65535",
    },
    Var {
        name: "ASYNCWORKER_AMQP_HEARTBEAT",
        key: "amqp_heartbeat",
        given: |o| text(o.amqp_heartbeat),
        set: |s, v| parse_int(v).map(|n| s.amqp_heartbeat = n),
        expected: "seconds, an integer from 0 to 65535",
    },
    Var {
        name: "ASYNCWORKER_AMQP_QUEUE_PREFIX",
        key: "amqp_queue_prefix",
        given: |o| text(o.amqp_queue_prefix),
        set: |s, v| parse_text(v).map(|t| s.amqp_queue_prefix = t),
        expected: "any text",
    },
    Var {
        name: "ASYNCWORKER_AMQP_MAX_REDELIVERIES",
        key: "amqp_max_redeliveries",
        given: |o| text(o.amqp_max_redeliveries),
        set: |s, v| parse_int(v).map(|n| s.amqp_max_redeliveries = n),
        expected: "an integer from 0 (off) to 65535",
    },
    Var {
        name: "ASYNCWORKER_AMQP_TLS_CA_FILE",
        key: "amqp_tls_ca_file",
        given: |o| text(o.amqp_tls_ca_file),
        set: |s, v| parse_readable_file(v).map(|f| s.amqp_tls.ca_file = Some(f)),
        expected: READABLE_FILE,
    },
    Var {
        name: "ASYNCWORKER_AMQP_TLS_CERT_FILE",
        key: "amqp_tls_cert_file",
        given: |o| text(o.amqp_tls_cert_file),
        set: |s, v| parse_readable_file(v).map(|f| s.amqp_tls.cert_file = Some(f)),
        expected: READABLE_FILE,
    },
    Var {
        name: "ASYNCWORKER_AMQP_TLS_KEY_FILE",
        key: "amqp_tls_key_file",
        given: |o| text(o.amqp_tls_key_file),
        set: |s, v| parse_readable_file(v).map(|f| s.amqp_tls.key_file = Some(f)),
        expected: READABLE_FILE,
    },
    Var {
        name: "ASYNCWORKER_HTTP_HOST",
        key: "http_host",
        given: |o| text(o.http_host),
        set: |s, v| parse_host(v).map(|h| s.http_host = h),
        expected: "a host name or IP address",
    },
    Var {
        name: "ASYNCWORKER_HTTP_PORT",
        key: "http_port",
        given: |o| text(o.http_port),
        set: |s, v| parse_int(v).map(|n| s.http_port = n),
        expected: "a port number from 0 to 65535",
    },
    Var {
        name: "ASYNCWORKER_HTTP_ENABLED",
        key: "http_enabled",
        given: |o| text(o.http_enabled),
        set: |s, v| parse_bool(v).map(|b| s.http_enabled = b),
        expected: "true or false",
    },
    Var {
        name: "ASYNCWORKER_HTTP_BODY_LIMIT",
        key: "http_body_limit",
        given: |o| text(o.http_body_limit),
        set: |s, v| parse_size(v).map(|n| s.http_body_limit = n),
        expected: "a size in bytes such as \"2097152\", \"512KiB\" or \"2MiB\"",
    },
    Var {
        name: "ASYNCWORKER_HTTP_HEADER_READ_TIMEOUT",
        key: "http_header_read_timeout",
        given: |o| text(o.http_header_read_timeout),
        set: |s, v| parse_nonzero_duration(v).map(|d| s.http_header_read_timeout = d),
        expected: "a duration above zero such as \"30s\"",
    },
    Var {
        name: "ASYNCWORKER_HTTP_REQUEST_TIMEOUT",
        key: "http_request_timeout",
        given: |o| text(o.http_request_timeout),
        set: |s, v| parse_nonzero_duration(v).map(|d| s.http_request_timeout = d),
        expected: "a duration above zero such as \"30s\"",
    },
    Var {
        name: "ASYNCWORKER_HTTP_MAX_CONNECTIONS",
        key: "http_max_connections",
        given: |o| text(o.http_max_connections),
        set: |s, v| parse_in(v, 1..=1_000_000).map(|n| s.http_max_connections = n),
        expected: "an integer from 1 to 1000000",
    },
    Var {
        name: "ASYNCWORKER_HTTP_MAX_IN_FLIGHT",
        key: "http_max_in_flight",
        given: |o| text(o.http_max_in_flight),
        set: |s, v| parse_in(v, 0..=1_000_000).map(|n| s.http_max_in_flight = n),
        expected: "an integer from 0 (no limit) to 1000000",
    },
    Var {
        name: "ASYNCWORKER_HTTP_MAX_HEADER_SIZE",
        key: "http_max_header_size",
        given: |o| text(o.http_max_header_size),
        set: |s, v| {
            let n = parse_size(v).filter(|n| (HEADER_SIZE_MIN..=HEADER_SIZE_MAX).contains(n));
            n.map(|n| s.http_max_header_size = n)
        },
        expected: "a size from 8KiB (hyper's minimum, 8192 bytes) to 1MiB, such as \"16KiB\"",
    },
    Var {
        name: "ASYNCWORKER_HTTP_LIVE_PATH",
        key: "http_live_path",
        given: |o| text(o.http_live_path),
        set: |s, v| parse_endpoint_path(v).map(|p| s.http_live_path = p),
        expected: ENDPOINT_PATH,
    },
    Var {
        name: "ASYNCWORKER_HTTP_READY_PATH",
        key: "http_ready_path",
        given: |o| text(o.http_ready_path),
        set: |s, v| parse_endpoint_path(v).map(|p| s.http_ready_path = p),
        expected: ENDPOINT_PATH,
    },
    Var {
        name: "ASYNCWORKER_HTTP_METRICS_PATH",
        key: "http_metrics_path",
        given: |o| text(o.http_metrics_path),
        set: |s, v| parse_endpoint_path(v).map(|p| s.http_metrics_path = p),
        expected: ENDPOINT_PATH,
    },
    Var {
        name: "ASYNCWORKER_HTTP_OPENAPI_PATH",
        key: "http_openapi_path",
        given: |o| text(o.http_openapi_path),
        set: |s, v| parse_optional_path(v).map(|p| s.http_openapi_path = p),
        expected: OPTIONAL_PATH,
    },
    Var {
        name: "ASYNCWORKER_HTTP_DOCS_PATH",
        key: "http_docs_path",
        given: |o| text(o.http_docs_path),
        set: |s, v| docs_path(v).map(|p| s.http_docs_path = p),
        #[cfg(feature = "docs")]
        expected: OPTIONAL_PATH,
        #[cfg(not(feature = "docs"))]
        expected: "empty: this build has no docs page (enable the `docs` feature of asyncworker)",
    },
    Var {
        name: "ASYNCWORKER_SSE_URL",
        key: "sse_url",
        given: |o| text(o.sse_url),
        set: |s, v| parse_http_url(v).map(|u| s.sse_url = Some(u)),
        expected: "an http:// or https:// URL",
    },
    Var {
        name: "ASYNCWORKER_SSE_TLS_CA_FILE",
        key: "sse_tls_ca_file",
        given: |o| text(o.sse_tls_ca_file),
        set: |s, v| parse_text(v).map(|p| s.sse_tls_ca_file = Some(p.into())),
        expected: "the path of a PEM file",
    },
    Var {
        name: "ASYNCWORKER_SHUTDOWN_TIMEOUT",
        key: "shutdown_timeout",
        given: |o| text(o.shutdown_timeout),
        set: |s, v| parse_duration(v).map(|d| s.shutdown_timeout = d),
        expected: "a duration such as \"30s\", \"500ms\" or \"2m\"",
    },
    Var {
        name: "ASYNCWORKER_AMQP_PUBLISH_TIMEOUT",
        key: "amqp_publish_timeout",
        given: |o| text(o.amqp_publish_timeout),
        set: |s, v| parse_nonzero_duration(v).map(|d| s.amqp_publish_timeout = d),
        expected: "a duration such as \"30s\" or \"500ms\"",
    },
    Var {
        name: "ASYNCWORKER_DRAIN",
        key: "drain",
        given: |o| text(o.drain),
        set: |s, v| parse_bool(v).map(|b| s.drain = b),
        expected: "true or false",
    },
    Var {
        name: "ASYNCWORKER_LOG",
        key: "log",
        given: |o| text(o.log),
        set: |s, v| parse_text(v).map(|t| s.log = Some(t)),
        expected: "a tracing filter",
    },
    Var {
        name: "ASYNCWORKER_LOG_FORMAT",
        key: "log_format",
        given: |o| text(o.log_format),
        set: |s, v| parse_log_format(v).map(|f| s.log_format = f),
        expected: "`pretty` or `json`",
    },
];

/// The smallest request head buffer hyper accepts (it panics below it).
const HEADER_SIZE_MIN: usize = 8192;

/// The largest `ASYNCWORKER_HTTP_MAX_HEADER_SIZE`: a request head beyond it is an attack or a
/// mistake, and each connection may buffer that much.
const HEADER_SIZE_MAX: usize = 1 << 20;

/// What the TLS file variables accept.
const READABLE_FILE: &str = "the path of a readable PEM file";

/// What the three endpoint paths accept.
const ENDPOINT_PATH: &str = "a path starting with `/`, without parameters or query";
const OPTIONAL_PATH: &str =
    "a path starting with `/`, without parameters or query, or empty to serve nothing there";

/// An endpoint's path, or `None` for an empty value: the endpoint is not served.
fn parse_optional_path(text: &str) -> Option<Option<String>> {
    match text {
        "" => Some(None),
        path => parse_endpoint_path(path).map(Some),
    }
}

/// The docs page's path; without the `docs` feature there is no page, and only "none" is a
/// value that means what it says.
fn docs_path(text: &str) -> Option<Option<String>> {
    let path = parse_optional_path(text)?;
    (cfg!(feature = "docs") || path.is_none()).then_some(path)
}

impl Var {
    /// This setting's value and where it came from: the `main!` override wins, else the
    /// variable; `None` keeps the default.
    fn pick(
        &self,
        overrides: &MainOptions,
        lookup: &impl Fn(&str) -> Option<String>,
    ) -> Option<(String, String)> {
        (self.given)(overrides)
            .map(|v| (format!("main!({})", self.key), v))
            .or_else(|| lookup(self.name).map(|v| (self.name.to_owned(), v)))
    }
}

impl Settings {
    /// Reads the process environment, then applies `overrides` (which win over the environment).
    pub fn from_env(overrides: &MainOptions) -> Result<Settings, SettingsError> {
        Settings::from_lookup(|k| std::env::var(k).ok(), overrides)
    }

    /// Like [`Settings::from_env`] with an arbitrary variable lookup (used by tests).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        overrides: &MainOptions,
    ) -> Result<Settings, SettingsError> {
        Settings::default().overlay(lookup, overrides)
    }

    /// These settings with every variable `lookup` knows (then `overrides`) applied on top.
    pub(crate) fn overlay(
        self,
        lookup: impl Fn(&str) -> Option<String>,
        overrides: &MainOptions,
    ) -> Result<Settings, SettingsError> {
        let mut s = self;
        for var in VARS {
            if let Some((source, value)) = var.pick(overrides, &lookup)
                && (var.set)(&mut s, &value).is_none()
            {
                return Err(SettingsError::new(source, value, var.expected));
            }
        }
        // `RUST_LOG` is the ecosystem's name for the same filter; ours wins when both are set.
        if s.log.is_none() {
            s.log = lookup("RUST_LOG");
        }
        // Code only: whether to install a subscriber is the program's choice, not the
        // deployment's, so no variable offers it.
        if let Some(on) = overrides.init_tracing {
            s.init_tracing = on;
        }
        if let Some(layers) = overrides.tracing_layers {
            s.tracing_layers = Some(layers);
        }
        #[cfg(feature = "http")]
        if let Some(layers) = overrides.http_layers {
            s.http_layers = Some(layers);
        }
        if let Some(version) = overrides.app_version {
            s.app_version = version.to_owned();
        }
        Ok(s)
    }
}

/// Every row's variable and `main!` key, for the test that keeps them in step.
#[cfg(test)]
pub(super) fn names_and_keys() -> impl Iterator<Item = (&'static str, &'static str)> {
    VARS.iter().map(|v| (v.name, v.key))
}
