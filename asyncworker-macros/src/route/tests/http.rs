//! `#[route(http = ...)]`: every error at its token.

use super::*;
use crate::test_support::At;

/// `#[route(http = ...)]`: every error at its token.
#[test]
fn http_route_checks() {
    let http_handler = "async fn handle() -> &'static str { \"\" }";
    let http = |attr: &str, expected: &[(At, &str)]| check_with(attr, http_handler, expected);
    http(
        "http = /*1*/[]",
        &[(
            At::Marker(1),
            "`http` needs at least one path: `http = [\"/\"]`",
        )],
    );
    http(
        r#"http = [/*1*/"/users/:id", /*2*/"/files/*rest", /*3*/"users", /*4*/"", "/x", /*5*/"/x"]"#,
        &[
            (
                At::Marker(1),
                "path parameters are written in braces since axum 0.8: `/users/{id}`, not `/users/:id`",
            ),
            (
                At::Marker(2),
                "path parameters are written in braces since axum 0.8: `/files/{*rest}`, not `/files/*rest`",
            ),
            (
                At::Marker(3),
                "HTTP path `users` must start with `/`: `/users`",
            ),
            (At::Marker(4), "HTTP path `` must start with `/`: `/`"),
            (At::Marker(5), "path `/x` is listed twice"),
        ],
    );
    for (path, message) in [
        (
            "/a?b=1",
            "HTTP path `/a?b=1` must not contain a query or fragment (`?`, `#`); read the query with the `Query<T>` extractor",
        ),
        (
            "/a b",
            "HTTP path `/a b` must not contain whitespace or control characters",
        ),
        ("/a/{id", "unbalanced `{` in HTTP path `/a/{id`"),
        ("/a/id}", "unbalanced `}` in HTTP path `/a/id}`"),
        (
            "/a/{}",
            "path parameter `{}` in `/a/{}` needs a name of letters, digits and `_`",
        ),
        (
            "/a/{a-b}",
            "path parameter `{a-b}` in `/a/{a-b}` needs a name of letters, digits and `_`",
        ),
        (
            "/{*rest}/x",
            "the catch-all parameter `{*rest}` must be the whole last segment of `/{*rest}/x`",
        ),
        (
            "/{id}/{id}",
            "path parameter `id` appears twice in `/{id}/{id}`",
        ),
    ] {
        http(
            &format!(r#"http = [/*1*/"{path}"]"#),
            &[(At::Marker(1), message)],
        );
    }
    http(
        r#"http = ["/"], methods = /*1*/[]"#,
        &[(
            At::Marker(1),
            "`methods` needs at least one method: `methods = [\"GET\", \"POST\"]`",
        )],
    );
    http(
        r#"http = ["/"], methods = ["GET", /*1*/"FETCH", /*2*/"post", /*3*/"GET"]"#,
        &[
            (
                At::Marker(1),
                "unknown HTTP method `FETCH`: expected one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, TRACE, CONNECT",
            ),
            (
                At::Marker(2),
                "HTTP methods are written in upper case: `\"POST\"`",
            ),
            (At::Marker(3), "method `GET` is listed twice"),
        ],
    );
    http(
        r#"http = ["/"], methods = /*1*/"GET""#,
        &[(
            At::Marker(1),
            "expected a list of strings: `[\"...\", ...]`",
        )],
    );
    http(
        r#"http = ["/"], /*1*/bulk_size = 3"#,
        &[(
            At::Marker(1),
            "`bulk_size` does not apply to `http` routes\nvalid arguments: http, name, methods, layers, publishes",
        )],
    );
    for (what, attr) in [
        ("string", r#"http = ["/"], layers = /*1*/"auth""#),
        ("call", r#"http = ["/"], layers = auth/*1*/()"#),
    ] {
        let message =
            format!("`layers` takes the path of a function, not a {what}: `layers = auth::layers`");
        http(attr, &[(At::Marker(1), &message)]);
    }
    for ok in [
        r#"http = ["/"], layers = auth::layers"#,
        r#"http = ["/", "/users/{id}", "/files/{*rest}", "/{a}/{b}/x"]"#,
        r#"http = ["/"], methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT"]"#,
        r#"http = ["/"], name = "index""#,
    ] {
        try_expand(tokens(ok), tokens(http_handler))
            .unwrap_or_else(|err| panic!("`{ok}` rejected: {err}"));
    }
}
