//! `#[route(sse = ...)]`: every error at its token.

use super::*;
use crate::test_support::At;

/// `#[route(sse = ...)]`: every error at its token.
#[test]
fn sse_route_checks() {
    let sse_handler = "async fn handle(e: Vec<Event<T>>) {}";
    let sse = |attr: &str, expected: &[(At, &str)]| check_with(attr, sse_handler, expected);
    sse(
        "sse = /*1*/[]",
        &[(
            At::Marker(1),
            "`sse` needs at least one path: `sse = [\"/v2/events\"]`",
        )],
    );
    sse(
        r#"sse = [/*1*/"v2/events", /*2*/"/a b", "/x", /*3*/"/x"]"#,
        &[
            (
                At::Marker(1),
                "an SSE path starts with `/` (the server's address goes in `url`)",
            ),
            (
                At::Marker(2),
                "an SSE path must not contain whitespace or `#`",
            ),
            (At::Marker(3), "path `/x` is listed twice"),
        ],
    );
    let bad_url =
        "`url` must be an absolute http:// URL without query, e.g. \"http://127.0.0.1:8080\"";
    for url in [
        "127.0.0.1:8080",
        "http://",
        "ftp://h",
        "http://h/?x=1",
        "http://h p",
    ] {
        sse(
            &format!(r#"sse = ["/e"], url = /*1*/"{url}""#),
            &[(At::Marker(1), bad_url)],
        );
    }
    sse(
        r#"sse = ["/e"], url = /*1*/"https://h""#,
        &[(
            At::Marker(1),
            "`https` SSE URLs are not supported yet (this build of asyncworker has no TLS); use `http://`",
        )],
    );
    sse(
        r#"sse = ["/e"], headers = [/*1*/"Authorization", /*2*/"Bad Name: x", /*3*/"Last-Event-ID: 4", /*4*/"X: ${A", /*5*/"X: ${9A}", "Ok: $$ ${TOKEN} $x"]"#,
        &[
            (
                At::Marker(1),
                "a header is `\"Name: value\"`, e.g. `\"Authorization: Bearer ${TOKEN}\"`; `Authorization` has no `:`",
            ),
            (At::Marker(2), "`Bad Name` is not a valid header name"),
            (
                At::Marker(3),
                "`Last-Event-ID` is sent by asyncworker itself when it resumes a stream",
            ),
            (
                At::Marker(4),
                "`${` is not closed by `}`; write `$$` for a literal `$`",
            ),
            (
                At::Marker(5),
                "`${9A}`: an environment variable name is letters, digits and `_`, not starting with a digit",
            ),
        ],
    );
    sse(
        r#"sse = ["/e"], bulk_size = /*1*/0, concurrency = /*2*/70000, max_event_size = /*3*/0, idle_timeout = /*4*/"0s", bulk_flush = /*5*/"soon""#,
        &[
            (At::Marker(1), "`bulk_size` must be at least 1"),
            (At::Marker(2), "`concurrency` must be at most 65535"),
            (At::Marker(3), "`max_event_size` must be at least 1 (bytes)"),
            (At::Marker(4), "`idle_timeout` must be greater than zero"),
            (
                At::Marker(5),
                "invalid duration `soon`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
            ),
        ],
    );
    // AMQP-only keys are refused at the key.
    sse(
        r#"sse = ["/e"], /*1*/prefetch = 3"#,
        &[(
            At::Marker(1),
            "`prefetch` does not apply to `sse` routes\nvalid arguments: sse, name, url, headers, bulk_size, bulk_flush, concurrency, timeout, idle_timeout, max_event_size, error_handler, codec, publishes",
        )],
    );
    check_with(
        r#"sse = ["/e"]"#,
        "async fn handle/*1*/() {}",
        &[(
            At::Marker(1),
            "an SSE handler takes the events as its last argument: `events: Vec<Event<T>>`",
        )],
    );
}
