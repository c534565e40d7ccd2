//! Unit tests of the settings: environment, `main!` overrides, parsers, route overrides.

use super::parse::{parse_duration, parse_size};
use super::*;
use std::collections::HashMap;
use std::time::Duration;

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
fn http_load_shedding_and_header_size() {
    let s = with(&[], MainOptions::DEFAULT).unwrap();
    assert_eq!(s.http_max_in_flight, 0, "no limit by default");
    assert_eq!(s.http_max_header_size, 16 * 1024);
    let s = with(
        &[
            ("ASYNCWORKER_HTTP_MAX_IN_FLIGHT", "200"),
            ("ASYNCWORKER_HTTP_MAX_HEADER_SIZE", "8KiB"),
        ],
        MainOptions::DEFAULT,
    )
    .unwrap();
    assert_eq!(s.http_max_in_flight, 200);
    assert_eq!(s.http_max_header_size, 8192);
    for (var, value) in [
        ("ASYNCWORKER_HTTP_MAX_IN_FLIGHT", "-1"),
        ("ASYNCWORKER_HTTP_MAX_IN_FLIGHT", "lots"),
        ("ASYNCWORKER_HTTP_MAX_IN_FLIGHT", "1000001"),
        // Below hyper's minimum buffer, which would panic when the server starts.
        ("ASYNCWORKER_HTTP_MAX_HEADER_SIZE", "8191"),
        ("ASYNCWORKER_HTTP_MAX_HEADER_SIZE", "4KiB"),
        ("ASYNCWORKER_HTTP_MAX_HEADER_SIZE", "2MiB"),
        ("ASYNCWORKER_HTTP_MAX_HEADER_SIZE", "big"),
    ] {
        let e = with(&[(var, value)], MainOptions::DEFAULT).unwrap_err();
        assert_eq!((e.source.as_str(), e.value.as_str()), (var, value));
        let text = e.to_string();
        assert!(text.contains(var) && text.contains(value), "{text}");
    }
    let mut o = MainOptions::DEFAULT;
    o.http_max_header_size = Some(100);
    let e = with(&[], o).unwrap_err();
    assert_eq!(e.source, "main!(http_max_header_size)");
    assert!(e.to_string().contains("8192"), "{e}");
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
    assert!(problems[0].contains("ASYNCWORKER_ROUTE_X_PREFETCH") && problems[0].contains("\"0\""));
    assert!(problems[1].contains("ASYNCWORKER_ROUTE_X_BULK_FLUSH"));
}

#[test]
fn every_variable_is_its_main_key_upper_cased() {
    let mut keys = std::collections::BTreeSet::new();
    for (name, key) in env::names_and_keys() {
        assert_eq!(name, format!("ASYNCWORKER_{}", key.to_ascii_uppercase()));
        assert!(keys.insert(key), "`{key}` has two rows");
    }
}

#[test]
fn tls_files_must_be_readable_and_name_their_variable() {
    let e = with(
        &[("ASYNCWORKER_AMQP_TLS_CA_FILE", "/nonexistent/ca.pem")],
        MainOptions::DEFAULT,
    )
    .unwrap_err();
    assert_eq!(e.source, "ASYNCWORKER_AMQP_TLS_CA_FILE");
    let o = MainOptions {
        amqp_tls_key_file: Some("/nonexistent/key.pem"),
        ..MainOptions::DEFAULT
    };
    assert_eq!(with(&[], o).unwrap_err().source, "main!(amqp_tls_key_file)");
    // Any readable file passes here; its PEM content is checked when the connection is built.
    let s = with(
        &[("ASYNCWORKER_AMQP_TLS_CA_FILE", "/proc/self/status")],
        MainOptions::DEFAULT,
    )
    .unwrap();
    assert_eq!(s.amqp_tls.ca_file.as_deref(), Some("/proc/self/status"));
}

#[test]
fn named_connections_take_their_own_tls_files() {
    let mut s = Settings::default();
    s.amqp_tls.ca_file = Some("default-ca.pem".into());
    let lookup =
        |k: &str| (k == "ASYNCWORKER_AMQP_BILLING_EU_TLS_CA_FILE").then(|| "eu.pem".into());
    let default = s.connection_tls(None, &lookup);
    let ca = default.ca.unwrap();
    assert_eq!(
        (ca.var.as_str(), ca.path.as_str()),
        ("ASYNCWORKER_AMQP_TLS_CA_FILE", "default-ca.pem")
    );
    let named = s.connection_tls(Some("billing-eu"), &lookup);
    let ca = named.ca.unwrap();
    assert_eq!(
        (ca.var.as_str(), ca.path.as_str()),
        ("ASYNCWORKER_AMQP_BILLING_EU_TLS_CA_FILE", "eu.pem")
    );
    assert!(named.cert.is_none() && named.key.is_none());
    s.amqp_connections_tls
        .insert("billing-eu".into(), AmqpTls::default());
    assert_eq!(
        s.connection_tls(Some("billing-eu"), &lookup),
        ConnectionTls::default()
    );
}

#[test]
fn max_redeliveries_from_env_main_and_route_overrides() {
    assert_eq!(Settings::default().amqp_max_redeliveries, 20);
    let s = with(
        &[("ASYNCWORKER_AMQP_MAX_REDELIVERIES", "0")],
        MainOptions::DEFAULT,
    )
    .unwrap();
    assert_eq!(s.amqp_max_redeliveries, 0, "0 turns the guard off");
    let main = MainOptions {
        amqp_max_redeliveries: Some(5),
        ..MainOptions::DEFAULT
    };
    assert_eq!(with(&[], main).unwrap().amqp_max_redeliveries, 5);
    let e = with(
        &[("ASYNCWORKER_AMQP_MAX_REDELIVERIES", "-1")],
        MainOptions::DEFAULT,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid value \"-1\" for ASYNCWORKER_AMQP_MAX_REDELIVERIES: expected an integer from 0 (off) to 65535"
    );
    let env = |k: &str| match k {
        "ASYNCWORKER_ROUTE_MAIL_MAX_REDELIVERIES" => Some("3".to_owned()),
        "ASYNCWORKER_ROUTE_BAD_MAX_REDELIVERIES" => Some("many".to_owned()),
        _ => None,
    };
    let o = route_override("mail", &Settings::default(), &env).unwrap();
    assert_eq!(o.max_redeliveries, Some(3));
    let problems = route_override("bad", &Settings::default(), &env).unwrap_err();
    assert!(
        problems[0].contains("ASYNCWORKER_ROUTE_BAD_MAX_REDELIVERIES")
            && problems[0].contains("\"many\""),
        "{problems:?}"
    );
}

#[test]
fn app_name_defaults_to_the_binary_and_is_validated() {
    let s = with(&[], MainOptions::DEFAULT).unwrap();
    let exe = std::env::current_exe().unwrap();
    let stem = exe.file_stem().unwrap().to_string_lossy();
    assert_eq!(s.app_name, stem.chars().take(100).collect::<String>());
    let s = with(&[("ASYNCWORKER_APP_NAME", "billing")], MainOptions::DEFAULT).unwrap();
    assert_eq!(s.app_name, "billing");
    let mut o = MainOptions::DEFAULT;
    o.app_name = Some("orders");
    assert_eq!(
        with(&[("ASYNCWORKER_APP_NAME", "billing")], o)
            .unwrap()
            .app_name,
        "orders"
    );
    let long = "a".repeat(101);
    for bad in ["", "two words", "tab\there", long.as_str()] {
        let e = with(&[("ASYNCWORKER_APP_NAME", bad)], MainOptions::DEFAULT).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "invalid value {bad:?} for ASYNCWORKER_APP_NAME: expected a name of 1 to 100 \
                 bytes without whitespace or control characters"
            )
        );
    }
}

#[test]
fn the_openapi_and_docs_paths_move_or_go() {
    let s = with(&[], MainOptions::DEFAULT).unwrap();
    assert_eq!(s.http_openapi_path.as_deref(), Some("/openapi.json"));
    assert_eq!(s.http_docs_path.is_some(), cfg!(feature = "docs"));
    let s = with(
        &[
            ("ASYNCWORKER_HTTP_OPENAPI_PATH", "/api/openapi.json"),
            ("ASYNCWORKER_HTTP_DOCS_PATH", ""),
        ],
        MainOptions::DEFAULT,
    )
    .unwrap();
    assert_eq!(s.http_openapi_path.as_deref(), Some("/api/openapi.json"));
    assert_eq!(s.http_docs_path, None);
    let off = with(
        &[("ASYNCWORKER_HTTP_OPENAPI_PATH", "")],
        MainOptions::DEFAULT,
    )
    .unwrap();
    assert_eq!(off.http_openapi_path, None);
    let e = with(
        &[("ASYNCWORKER_HTTP_OPENAPI_PATH", "openapi")],
        MainOptions::DEFAULT,
    )
    .unwrap_err();
    assert!(e.to_string().contains("openapi"), "{e}");
    // Without the feature there is no page to move: only "none" is accepted, with a reason.
    let docs = with(
        &[("ASYNCWORKER_HTTP_DOCS_PATH", "/api-docs")],
        MainOptions::DEFAULT,
    );
    match docs {
        Ok(s) => assert_eq!(s.http_docs_path.as_deref(), Some("/api-docs")),
        Err(e) => assert!(
            !cfg!(feature = "docs") && e.to_string().contains("`docs` feature"),
            "{e}"
        ),
    }
}
