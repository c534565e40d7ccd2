//! The syntax of the arguments: unknown, duplicate and missing keys, one backend, recovery.

use super::*;
use crate::test_support::At;

#[test]
fn unknown_key_lists_the_valid_ones() {
    check1(r#"amqp = ["a"], /*1*/bulk = 3"#, &unknown("bulk", None));
    check1(r#"amqp = ["a"], /*1*/nope = 3"#, &unknown("nope", None));
    check1(
        r#"/*1*/"amqp" = ["a"]"#,
        &format!("expected an argument name\n{VALID}"),
    );
    check1(
        r#"amqp = ["a"], /*1*/5"#,
        &format!("expected an argument name\n{VALID}"),
    );
    // Keywords and raw identifiers are keys too, named without `r#`.
    check1(r#"amqp = ["a"], /*1*/type = 3"#, &unknown("type", None));
    check1(
        r#"amqp = ["a"], /*1*/r#queue = "q""#,
        &unknown("queue", None),
    );
}

#[test]
fn unknown_key_suggests_the_nearest_valid_one() {
    for (typo, valid) in [
        ("bulk_sise", "bulk_size"),
        ("bulksize", "bulk_size"),
        ("bulk_flsuh", "bulk_flush"),
        ("prefech", "prefetch"),
        ("Prefetch", "prefetch"),
        ("on_sucess", "on_success"),
        ("on_exceptions", "on_exception"),
        ("timout", "timeout"),
        ("vhots", "vhost"),
        ("nam", "name"),
        ("amq", "amqp"),
        ("retires", "retries"),
        ("retrys", "retries"),
        ("retry_dealy", "retry_delay"),
        ("retrydelay", "retry_delay"),
        ("dead_leter", "dead_letter"),
        ("deadletter", "dead_letter"),
        ("declared", "declare"),
        ("delcare", "declare"),
        ("queue_typ", "queue_type"),
        ("queuetype", "queue_type"),
    ] {
        check1(
            &format!(r#"amqp = ["a"], /*1*/{typo} = 1"#),
            &unknown(typo, Some(valid)),
        );
    }
    // Too far from any key for a guess.
    for far in ["bulk", "queue", "retry", "ttl", "dlx", "x"] {
        check1(
            &format!(r#"amqp = ["a"], /*1*/{far} = 1"#),
            &unknown(far, None),
        );
    }
}

#[test]
fn duplicate_key_is_reported_at_the_second() {
    check1(
        r#"amqp = ["a"], bulk_size = 2, /*1*/bulk_size = 3"#,
        "duplicate `bulk_size` argument",
    );
    check1(
        r#"amqp = ["a"], /*1*/amqp = ["b"]"#,
        "duplicate `amqp` argument",
    );
    check1(
        r#"amqp = ["a"], on_success = "ack", /*1*/on_success = "ack""#,
        "duplicate `on_success` argument",
    );
}

#[test]
fn a_backend_is_required() {
    let message = "a route needs a backend: `amqp = [\"queue\", ...]`";
    check("", &[(At::CallSite, message)]);
    check(
        "bulk_size = 2, timeout = \"1s\"",
        &[(At::CallSite, message)],
    );
}

#[test]
fn exactly_one_backend() {
    check1(
        r#"amqp = ["a"], /*1*/http = ["/"]"#,
        "a route has exactly one backend; found `amqp` and `http`",
    );
    check1(
        r#"every = "1s", /*1*/amqp = ["a"]"#,
        "a route has exactly one backend; found `every` and `amqp`",
    );
    check1(
        r#"cron = "* * * * * *", /*1*/every = "1s""#,
        "a route has exactly one backend; found `cron` and `every`",
    );
}

#[test]
fn backend_need_not_come_first_and_trailing_comma_is_fine() {
    accepts(r#"bulk_size = 2, amqp = ["a"],"#);
}

#[test]
fn syntax_errors() {
    check1(r#"amqp = ["a"], bulk_size /*1*/10"#, "expected `=`");
    check1(r#"amqp = ["a"] /*1*/bulk_size = 10"#, "expected `,`");
}

#[test]
fn every_error_is_reported_at_once() {
    let attr = r#"amqp = /*1*/[], bulk_size = /*2*/0, /*3*/bulk = 1, timeout = /*4*/"1x",
        on_success = /*5*/"nack", /*6*/retry_delay = "1s", bulk_size = /*7*/"x", vhost = "v",
        /*8*/vhost = "w""#;
    let item = "async fn handle/*10*/<T>(/*11*/&self, m: Vec<Message<T>>) {}";
    check_with(
        attr,
        item,
        &[
            (At::Marker(1), "`amqp` needs at least one queue"),
            (At::Marker(2), "`bulk_size` must be at least 1"),
            (At::Marker(3), &unknown("bulk", None)),
            (
                At::Marker(4),
                "invalid duration `1x`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
            ),
            (
                At::Marker(5),
                "unknown action `nack` for `on_success`: expected \"ack\", \"reject\" or \"requeue\"",
            ),
            (At::Marker(6), "`retry_delay` needs `retries = N`"),
            (At::Marker(7), "expected integer literal"),
            (At::Marker(8), "duplicate `vhost` argument"),
            (At::Marker(10), "handlers cannot be generic"),
            (
                At::Marker(11),
                "handlers are free functions: a `self` receiver is not supported (move it out of the impl block)",
            ),
        ],
    );
    let attr = r#"amqp = ["a"], vhost = "v", /*1*/vhost = "w", /*2*/nope = 1"#;
    check(
        attr,
        &[
            (At::Marker(1), "duplicate `vhost` argument"),
            (At::Marker(2), &unknown("nope", None)),
        ],
    );
}
