//! Reading `ASYNCWORKER_*` variables into `Settings`, with `main!` overrides on top.

use super::{LogFormat, MainOptions, Settings, SettingsError, parse_duration, parse_size};

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
