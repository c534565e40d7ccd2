use super::*;
use crate::test_support::{At, assert_errors, assert_tokens_eq, marker, tokens};
use quote::ToTokens;

const HANDLER: &str = "async fn handle(m: Vec<Message<T>>) {}";

const VALID: &str = "valid arguments: amqp, name, vhost, connection, bulk_size, bulk_flush, \
    prefetch, concurrency, on_success, on_exception, on_decode_error, timeout, retries, \
    retry_delay, dead_letter, declare, queue_type";

/// The message for an unknown key, with the suggestion if any.
fn unknown(key: &str, suggestion: Option<&str>) -> String {
    match suggestion {
        Some(valid) => format!("unknown argument `{key}`; did you mean `{valid}`?\n{VALID}"),
        None => format!("unknown argument `{key}`\n{VALID}"),
    }
}

/// Asserts the errors of `#[route(attr)]` on `item`.
fn check_with(attr: &str, item: &str, expected: &[(At, &str)]) {
    match try_expand(tokens(attr), tokens(item)) {
        Ok(out) => panic!("expected errors for `{attr}`, got:\n{out}"),
        Err(err) => assert_errors(&err, attr, item, expected),
    }
}

/// Asserts the errors of `#[route(attr)]` on a valid handler.
fn check(attr: &str, expected: &[(At, &str)]) {
    check_with(attr, HANDLER, expected);
}

/// One error at marker 1.
fn check1(attr: &str, message: &str) {
    check(attr, &[(At::Marker(1), message)]);
}

fn accepts(attr: &str) -> TokenStream {
    try_expand(tokens(attr), tokens(HANDLER))
        .unwrap_or_else(|err| panic!("`{attr}` rejected: {err}"))
}

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

/// `#[route(every = ...)]` / `#[route(cron = ...)]`: every error at its token.
#[test]
fn schedule_route_checks() {
    let handler = "async fn tick(app: App) {}";
    let sched = |attr: &str, expected: &[(At, &str)]| check_with(attr, handler, expected);
    sched(
        r#"every = /*1*/"30 seconds""#,
        &[(
            At::Marker(1),
            "invalid duration `30 seconds`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
        )],
    );
    sched(
        r#"every = /*1*/"0s""#,
        &[(At::Marker(1), "`every` must be greater than zero")],
    );
    let bad = "*/5 * * *";
    let cause = <::cron::Schedule as std::str::FromStr>::from_str(bad).unwrap_err();
    sched(
        &format!(r#"cron = /*1*/"{bad}""#),
        &[(
            At::Marker(1),
            &format!(
                "invalid cron expression:\n{}\nfields: second minute hour \
                 day-of-month month day-of-week [year], in UTC; e.g. \"0 */5 * * * *\"",
                cause.to_string().trim_end()
            ),
        )],
    );
    sched(
        r#"every = "1s", max_concurrency = /*1*/0, timeout = /*2*/"0ms""#,
        &[
            (At::Marker(1), "`max_concurrency` must be at least 1"),
            (At::Marker(2), "`timeout` must be greater than zero"),
        ],
    );
    sched(
        r#"cron = "* * * * * *", max_concurrency = /*1*/70000"#,
        &[(At::Marker(1), "`max_concurrency` must be at most 65535")],
    );
    sched(
        r#"every = "1s", immediately = /*1*/"yes""#,
        &[(At::Marker(1), "expected boolean literal")],
    );
    let valid = "valid arguments: every, cron, name, max_concurrency, immediately, timeout";
    sched(
        r#"every = "1s", /*1*/bulk_size = 10"#,
        &[(
            At::Marker(1),
            &format!("`bulk_size` does not apply to `every` routes\n{valid}"),
        )],
    );
    sched(
        r#"cron = "* * * * * *", /*1*/immediatly = true"#,
        &[(
            At::Marker(1),
            &format!("unknown argument `immediatly`; did you mean `immediately`?\n{valid}"),
        )],
    );
    // Valid ones expand.
    for attr in [
        r#"every = "30s""#,
        r#"every = "200ms", name = "tick", max_concurrency = 2, immediately = true, timeout = "1s""#,
        r#"cron = "0 */5 * * * *""#,
        r#"cron = "0 0 12 * * Mon-Fri 2030""#,
    ] {
        try_expand(tokens(attr), tokens(handler))
            .unwrap_or_else(|err| panic!("`{attr}` rejected: {err}"));
    }
}

#[test]
fn backend_need_not_come_first_and_trailing_comma_is_fine() {
    accepts(r#"bulk_size = 2, amqp = ["a"],"#);
}

#[test]
fn queue_list_checks() {
    check1("amqp = /*1*/[]", "`amqp` needs at least one queue");
    check1(r#"amqp = ["a", /*1*/""]"#, "queue name must not be empty");
    let long = "x".repeat(256);
    check1(
        &format!(r#"amqp = [/*1*/"{long}"]"#),
        "queue name is longer than 255 bytes (AMQP short string)",
    );
    accepts(&format!(r#"amqp = ["{}"]"#, "x".repeat(255)));
    check1(
        r#"amqp = ["a", "b", /*1*/"a"]"#,
        "queue `a` is listed twice",
    );
    check1(
        r#"amqp = /*1*/"a""#,
        "`amqp` takes a list of queues: `amqp = [\"queue\", ...]`",
    );
    check1(r#"amqp = ["a", /*1*/5]"#, "expected string literal");
}

#[test]
fn string_options_must_not_be_empty() {
    for key in ["name", "vhost", "connection"] {
        check1(
            &format!(r#"amqp = ["a"], {key} = /*1*/"""#),
            &format!("`{key}` must not be empty"),
        );
    }
}

#[test]
fn counts_must_fit_u16_and_be_positive() {
    for key in ["bulk_size", "prefetch", "concurrency"] {
        for zero in ["0", "-1"] {
            check1(
                &format!(r#"amqp = ["a"], {key} = /*1*/{zero}"#),
                &format!("`{key}` must be at least 1"),
            );
        }
        for big in ["65536", "340282366920938463463374607431768211456000"] {
            check1(
                &format!(r#"amqp = ["a"], {key} = /*1*/{big}"#),
                &format!("`{key}` must be at most 65535 (it must fit the u16 prefetch)"),
            );
        }
        check1(
            &format!(r#"amqp = ["a"], {key} = /*1*/"10""#),
            "expected integer literal",
        );
    }
    accepts(r#"amqp = ["a"], bulk_size = 65535, prefetch = 65535, concurrency = 65535"#);
}

#[test]
fn prefetch_smaller_than_bulk_size() {
    check1(
        r#"amqp = ["a"], bulk_size = 10, prefetch = /*1*/5"#,
        "`prefetch` (5) is smaller than `bulk_size` (10): the bulk could never fill",
    );
    // Order does not matter, and an invalid bulk_size is not compared.
    check1(
        r#"amqp = ["a"], prefetch = /*1*/5, bulk_size = 10"#,
        "`prefetch` (5) is smaller than `bulk_size` (10): the bulk could never fill",
    );
    check1(
        r#"amqp = ["a"], prefetch = 5, bulk_size = /*1*/70000"#,
        "`bulk_size` must be at most 65535 (it must fit the u16 prefetch)",
    );
    accepts(r#"amqp = ["a"], bulk_size = 10, prefetch = 10"#);
}

#[test]
fn durations() {
    for key in ["bulk_flush", "timeout"] {
        check1(
            &format!(r#"amqp = ["a"], {key} = /*1*/"0s""#),
            &format!("`{key}` must be greater than zero"),
        );
        check1(
            &format!(r#"amqp = ["a"], {key} = /*1*/"1 sec""#),
            "invalid duration `1 sec`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
        );
        check1(
            &format!(r#"amqp = ["a"], {key} = /*1*/1000"#),
            "expected string literal",
        );
    }
}

#[test]
fn actions() {
    for key in ["on_success", "on_exception", "on_decode_error"] {
        check1(
            &format!(r#"amqp = ["a"], {key} = /*1*/"nack""#),
            &format!(
                "unknown action `nack` for `{key}`: expected \"ack\", \"reject\" or \"requeue\""
            ),
        );
        check1(
            &format!(r#"amqp = ["a"], {key} = /*1*/ack"#),
            "expected string literal",
        );
    }
    accepts(
        r#"amqp = ["a"], on_success = "reject", on_exception = "ack", on_decode_error = "requeue""#,
    );
}

#[test]
fn retries_range() {
    for (value, message) in [
        ("-1", "`retries` must not be negative"),
        (
            "10001",
            "`retries` must be at most 10000 (delayed retries after the first failure)",
        ),
        (
            "340282366920938463463374607431768211456000",
            "`retries` must be at most 10000 (delayed retries after the first failure)",
        ),
        ("\"3\"", "expected integer literal"),
    ] {
        check1(&format!(r#"amqp = ["a"], retries = /*1*/{value}"#), message);
    }
    accepts(r#"amqp = ["a"], retries = 1"#);
    accepts(r#"amqp = ["a"], retries = 10000"#);
}

const RETRIES_ZERO: &str = "`retries = 0` does nothing without `dead_letter`: use `retries = N` \
    for N delayed retries, or add `dead_letter = \"...\"` to park a failed message at once";

#[test]
fn retries_zero_needs_dead_letter() {
    check1(r#"amqp = ["a"], retries = /*1*/0"#, RETRIES_ZERO);
    accepts(r#"amqp = ["a"], retries = 0, dead_letter = "parking""#);
    accepts(r#"amqp = ["a"], dead_letter = "parking", retries = 0"#);
    // A dead_letter with a mistake of its own is still a dead_letter: one error, at it.
    check1(
        r#"amqp = ["a"], retries = 0, dead_letter = /*1*/"""#,
        "`dead_letter` must not be empty",
    );
    check1(
        r#"amqp = ["a"], retries = 0, dead_letter = /*1*/parking"#,
        "expected string literal",
    );
}

#[test]
fn retry_delay_checks() {
    check1(
        r#"amqp = ["a"], /*1*/retry_delay = "10s""#,
        "`retry_delay` needs `retries = N`",
    );
    check1(
        r#"amqp = ["a"], retries = 0, dead_letter = "p", /*1*/retry_delay = "10s""#,
        "`retry_delay` does nothing with `retries = 0`",
    );
    check1(
        r#"amqp = ["a"], retries = 3, retry_delay = /*1*/"0s""#,
        "`retry_delay` must be greater than zero",
    );
    check1(
        r#"amqp = ["a"], retries = 3, retry_delay = /*1*/"10 s""#,
        "invalid duration `10 s`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
    );
    check1(
        r#"amqp = ["a"], retries = 3, retry_delay = /*1*/10"#,
        "expected string literal",
    );
    let too_long = "`retry_delay` must be at most 4294967295ms (about 49 days): it is the retry \
                    queue's x-message-ttl, which RabbitMQ limits to a u32";
    check1(
        r#"amqp = ["a"], retries = 3, retry_delay = /*1*/"4294967296ms""#,
        too_long,
    );
    check1(
        r#"amqp = ["a"], retries = 3, retry_delay = /*1*/"1194h""#,
        too_long,
    );
    // Both mistakes of one argument, each at its token.
    check(
        r#"amqp = ["a"], /*1*/retry_delay = /*2*/"0s""#,
        &[
            (At::Marker(1), "`retry_delay` needs `retries = N`"),
            (At::Marker(2), "`retry_delay` must be greater than zero"),
        ],
    );
    // A `retries` that did not parse or is out of range was reported; no "needs `retries`".
    check1(
        r#"amqp = ["a"], retries = /*1*/"3", retry_delay = "10s""#,
        "expected integer literal",
    );
    check1(
        r#"amqp = ["a"], retries = /*1*/-2, retry_delay = "10s""#,
        "`retries` must not be negative",
    );
    // Bounds.
    accepts(r#"amqp = ["a"], retries = 3, retry_delay = "1ms""#);
    accepts(r#"amqp = ["a"], retries = 3, retry_delay = "4294967295ms""#);
    accepts(r#"amqp = ["a"], retry_delay = "1m", retries = 1"#);
}

#[test]
fn dead_letter_checks() {
    check1(
        r#"amqp = ["a"], dead_letter = /*1*/"""#,
        "`dead_letter` must not be empty",
    );
    let long = "x".repeat(256);
    check1(
        &format!(r#"amqp = ["a"], dead_letter = /*1*/"{long}""#),
        "`dead_letter` is longer than 255 bytes (AMQP short string)",
    );
    accepts(&format!(
        r#"amqp = ["a"], dead_letter = "{}""#,
        "x".repeat(255)
    ));
    check1(
        r#"amqp = ["orders", "orders.priority"], dead_letter = /*1*/"orders.priority""#,
        "`dead_letter` must not be `orders.priority`, a queue of this route: a failed message \
         would come back to this handler, in a loop",
    );
    check1(
        r#"amqp = ["orders", "audit"], retries = 2, dead_letter = /*1*/"audit.retry""#,
        "`dead_letter` must not be `audit.retry`, the retry queue of `audit`: a failed message \
         would come back to this handler, in a loop",
    );
    check1(
        r#"amqp = ["a"], dead_letter = /*1*/parking"#,
        "expected string literal",
    );
    // Near misses are other queues.
    accepts(r#"amqp = ["orders"], dead_letter = "orders.parking""#);
    accepts(r#"amqp = ["orders"], dead_letter = "orders.retry.parking""#);
    accepts(r#"amqp = ["orders"], dead_letter = "other.retry""#);
    accepts(r#"amqp = ["orders"], dead_letter = ".retry""#);
    accepts(r#"amqp = ["orders"], dead_letter = "Orders""#);
}

#[test]
fn declare_and_queue_type_checks() {
    check1(
        r#"amqp = ["a"], declare = /*1*/"yes""#,
        "expected boolean literal",
    );
    check1(
        r#"amqp = ["a"], declare = /*1*/1"#,
        "expected boolean literal",
    );
    accepts(r#"amqp = ["a"], declare = true"#);
    accepts(r#"amqp = ["a"], declare = false"#);
    let needs_declare =
        "`queue_type` only applies to queues this route declares; add `declare = true`";
    check1(r#"amqp = ["a"], /*1*/queue_type = "quorum""#, needs_declare);
    check1(
        r#"amqp = ["a"], declare = false, /*1*/queue_type = "classic""#,
        needs_declare,
    );
    let unknown_type = |t: &str| {
        format!("unknown queue type `{t}` for `queue_type`: expected \"classic\" or \"quorum\"")
    };
    for bad in ["stream", "Quorum", "", "lazy"] {
        check1(
            &format!(r#"amqp = ["a"], declare = true, queue_type = /*1*/"{bad}""#),
            &unknown_type(bad),
        );
    }
    check1(
        r#"amqp = ["a"], declare = true, queue_type = /*1*/quorum"#,
        "expected string literal",
    );
    // Both mistakes, each at its token.
    check(
        r#"amqp = ["a"], /*1*/queue_type = /*2*/"stream""#,
        &[
            (At::Marker(1), needs_declare),
            (At::Marker(2), &unknown_type("stream")),
        ],
    );
    // A `declare` that did not parse was reported; no "add `declare = true`".
    check1(
        r#"amqp = ["a"], declare = /*1*/"true", queue_type = "quorum""#,
        "expected boolean literal",
    );
    accepts(r#"amqp = ["a"], declare = true, queue_type = "classic""#);
    accepts(r#"amqp = ["a"], queue_type = "quorum", declare = true"#);
}

#[test]
fn retry_and_topology_options_apply_to_amqp_only() {
    let valid = "valid arguments: every, cron, name, max_concurrency, immediately, timeout";
    for key in ["retries", "declare"] {
        let value = if key == "declare" { "true" } else { "3" };
        check_with(
            &format!(r#"every = "1s", /*1*/{key} = {value}"#),
            "async fn tick(app: App) {}",
            &[(
                At::Marker(1),
                &format!("`{key}` does not apply to `every` routes\n{valid}"),
            )],
        );
    }
}

#[test]
fn every_retry_and_topology_error_at_once() {
    let attr = r#"amqp = ["orders"], retries = /*1*/20000, retry_delay = /*3*/"0s",
        dead_letter = /*4*/"orders", declare = false, /*5*/queue_type = /*6*/"lazy""#;
    check(
        attr,
        &[
            (
                At::Marker(1),
                "`retries` must be at most 10000 (delayed retries after the first failure)",
            ),
            (At::Marker(3), "`retry_delay` must be greater than zero"),
            (
                At::Marker(4),
                "`dead_letter` must not be `orders`, a queue of this route: a failed message \
                 would come back to this handler, in a loop",
            ),
            (
                At::Marker(5),
                "`queue_type` only applies to queues this route declares; add `declare = true`",
            ),
            (
                At::Marker(6),
                "unknown queue type `lazy` for `queue_type`: expected \"classic\" or \"quorum\"",
            ),
        ],
    );
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

#[test]
fn item_checks() {
    let attr = r#"amqp = ["a"]"#;
    let cases = [
        (
            "fn handle(m: /*1*/impl Into<u8>) {}",
            "a blocking (non-async) handler cannot use `impl Trait` or `_` in its signature: name the type, or make it an `async fn`",
        ),
        (
            "fn handle(m: M) -> /*1*/impl Send {}",
            "a blocking (non-async) handler cannot use `impl Trait` or `_` in its signature: name the type, or make it an `async fn`",
        ),
        (
            "async fn handle(/*1*/self: Box<Self>) {}",
            "handlers are free functions: a `self` receiver is not supported (move it out of the impl block)",
        ),
        (
            "async fn handle(/*1*/&mut self) {}",
            "handlers are free functions: a `self` receiver is not supported (move it out of the impl block)",
        ),
        (
            "async fn handle/*1*/<'a>(m: &'a str) {}",
            "handlers cannot be generic",
        ),
        (
            "async fn handle/*1*/<const N: usize>(m: M) {}",
            "handlers cannot be generic",
        ),
        (
            "async fn handle(m: M) /*1*/where u8: Copy {}",
            "handlers cannot be generic",
        ),
        (
            "/*1*/const async fn handle(m: M) {}",
            "asyncworker handlers cannot be `const fn`",
        ),
        (
            "async /*1*/unsafe fn handle(m: M) {}",
            "asyncworker handlers cannot be `unsafe fn`",
        ),
        (
            "async /*1*/extern \"C\" fn handle(m: M) {}",
            "asyncworker handlers cannot be `extern` functions",
        ),
        (
            "async fn handle(a: u8, /*1*/...) {}",
            "asyncworker handlers cannot be variadic",
        ),
        (
            "/*1*/struct Handle;",
            "`#[route]` can only be applied to an `async fn` or a plain `fn`",
        ),
    ];
    for (item, message) in cases {
        check_with(attr, item, &[(At::Marker(1), message)]);
    }
}

#[test]
fn on_error_the_function_is_kept_beside_the_errors() {
    let out = expand(tokens("amqp = [], bulk_size = 0"), tokens(HANDLER));
    let file: syn::File = syn::parse2(out).unwrap();
    assert_eq!(file.items.len(), 3, "the fn and two compile_error!s");
    assert!(matches!(&file.items[0], syn::Item::Fn(f) if f.sig.ident == "handle"));
    for item in &file.items[1..] {
        assert!(matches!(item, syn::Item::Macro(m)
            if m.mac.path.segments.last().unwrap().ident == "compile_error"));
    }
}

#[test]
fn expansion_of_an_amqp_route() {
    let item = "/// Docs stay.\n#[inline]\npub async fn drain(s: State<Db>, msgs: Vec<Message<Order>>) \
                -> anyhow::Result<()> { todo!() }";
    let out = try_expand(
        tokens(r#"amqp = ["a", "b"], bulk_size = 10, on_exception = "reject", timeout = "5s""#),
        tokens(item),
    )
    .unwrap();
    let expected = format!(
        "{item}\n{}",
        r#"
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case, unused_qualifications, clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            fn __asyncworker_check_signature() {
                ::asyncworker::__private::assert_extractor::<State<Db>>();
                ::asyncworker::__private::assert_messages::<Vec<Message<Order>>, 10u16>();
                ::asyncworker::__private::assert_handler_return::<anyhow::Result<()>>();
            }
            fn __asyncworker_assert_send(__arg0: State<Db>, __arg1: Vec<Message<Order>>) {
                ::asyncworker::__private::assert_send_future(drain(__arg0, __arg1));
            }
            fn __asyncworker_factory() -> ::asyncworker::__private::AmqpFactory {
                ::asyncworker::__private::amqp_factory::<10u16, _, _>(drain)
            }
            ::asyncworker::__private::inventory::submit! {
                ::asyncworker::__private::AmqpRouteDef {
                    name: "drain",
                    module_path: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                    queues: &["a", "b"],
                    options: ::asyncworker::__private::AmqpOptions {
                        bulk_size: 10u16,
                        on_exception: ::asyncworker::__private::Action::Reject,
                        timeout_ms: ::core::option::Option::Some(5000u64),
                        ..::asyncworker::__private::AmqpOptions::DEFAULT
                    },
                    factory: __asyncworker_factory,
                }
            }
        };
        "#
    );
    assert_tokens_eq(&out, &expected);
}

/// The text of the tokens without any whitespace, so spacing differences do not matter.
fn compact(tokens: &TokenStream) -> String {
    tokens.to_string().split_whitespace().collect()
}

#[test]
fn expansion_with_every_option() {
    let attr = r#"amqp = ["q"], name = "drainer", vhost = "v", connection = "c", bulk_size = 5,
        bulk_flush = "1m30s", prefetch = 20, concurrency = 4, on_success = "requeue",
        on_exception = "ack", on_decode_error = "reject", timeout = "250ms""#;
    let out = try_expand(tokens(attr), tokens("async fn handle(m: Batch) {}")).unwrap();
    let text = compact(&out);
    for expected in [
        r#"name:"drainer""#,
        r#"vhost:::core::option::Option::Some("v")"#,
        r#"connection:::core::option::Option::Some("c")"#,
        "bulk_size:5u16",
        "bulk_flush_ms:90000u64",
        "prefetch:::core::option::Option::Some(20u16)",
        "concurrency:4u16",
        "on_success:::asyncworker::__private::Action::Requeue",
        "on_exception:::asyncworker::__private::Action::Ack",
        "on_decode_error:::asyncworker::__private::Action::Reject",
        "timeout_ms:::core::option::Option::Some(250u64)",
        "amqp_factory::<5u16,_,_>(handle)",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
    // Generated code must not depend on `std` or on prelude names the user may shadow.
    let bare = text
        .replace("::core::option::Option::Some", "")
        .replace("AmqpOptions", "");
    for forbidden in ["::std", "Option", "Some", "Vec", "Result", "Box"] {
        assert!(!bare.contains(forbidden), "`{forbidden}` in\n{text}");
    }
}

#[test]
fn expansion_of_retry_and_topology_options() {
    let attr = r#"amqp = ["orders"], retries = 3, retry_delay = "10s", dead_letter = "parking",
        declare = true, queue_type = "quorum""#;
    let out = try_expand(tokens(attr), tokens(HANDLER)).unwrap();
    let file: syn::File = syn::parse2(out).unwrap();
    let options = registration_options(&file);
    assert_tokens_eq(
        &options,
        r#"::asyncworker::__private::AmqpOptions {
            bulk_size: 1u16,
            retries: 3u16,
            retry_delay_ms: 10000u64,
            dead_letter: ::core::option::Option::Some("parking"),
            declare: true,
            queue_type: ::asyncworker::__private::QueueType::Quorum,
            ..::asyncworker::__private::AmqpOptions::DEFAULT
        }"#,
    );
    // Only what was written is emitted: the rest keeps the runtime's defaults.
    for (attr, fields) in [
        (r#"amqp = ["q"], retries = 5"#, "retries: 5u16,"),
        (
            r#"amqp = ["q"], retries = 0, dead_letter = "p""#,
            r#"retries: 0u16, dead_letter: ::core::option::Option::Some("p"),"#,
        ),
        (
            r#"amqp = ["q"], dead_letter = "p""#,
            r#"dead_letter: ::core::option::Option::Some("p"),"#,
        ),
        (
            r#"amqp = ["q"], retry_delay = "1m30s", retries = 10000"#,
            "retries: 10000u16, retry_delay_ms: 90000u64,",
        ),
        (
            r#"amqp = ["q"], retries = 1, retry_delay = "4294967295ms""#,
            "retries: 1u16, retry_delay_ms: 4294967295u64,",
        ),
        (r#"amqp = ["q"], declare = false"#, "declare: false,"),
        (
            r#"amqp = ["q"], declare = true, queue_type = "classic""#,
            "declare: true, queue_type: ::asyncworker::__private::QueueType::Classic,",
        ),
    ] {
        let out = try_expand(tokens(attr), tokens(HANDLER))
            .unwrap_or_else(|err| panic!("`{attr}` rejected: {err}"));
        let file: syn::File = syn::parse2(out).unwrap();
        assert_tokens_eq(
            &registration_options(&file),
            &format!(
                "::asyncworker::__private::AmqpOptions {{ bulk_size: 1u16, {fields} \
                 ..::asyncworker::__private::AmqpOptions::DEFAULT }}"
            ),
        );
    }
}

/// The `options: ...` expression of the `AmqpRouteDef` in an expansion.
fn registration_options(file: &syn::File) -> TokenStream {
    let syn::Item::Const(block) = &file.items[1] else {
        panic!("no const _ block");
    };
    let syn::Expr::Block(body) = &*block.expr else {
        panic!("const _ is not a block");
    };
    let submit = body
        .block
        .stmts
        .iter()
        .find_map(|stmt| match stmt {
            syn::Stmt::Macro(m) if m.mac.path.segments.last().unwrap().ident == "submit" => {
                Some(m.mac.tokens.clone())
            }
            syn::Stmt::Item(syn::Item::Macro(m))
                if m.mac.path.segments.last().unwrap().ident == "submit" =>
            {
                Some(m.mac.tokens.clone())
            }
            _ => None,
        })
        .expect("no inventory::submit!");
    let def: syn::ExprStruct = syn::parse2(submit).unwrap();
    let options = def
        .fields
        .iter()
        .find(|field| matches!(&field.member, syn::Member::Named(n) if n == "options"))
        .expect("no `options` field");
    options.expr.to_token_stream()
}

#[test]
fn defaults_emit_only_bulk_size() {
    let out = compact(&accepts(r#"amqp = ["q"]"#));
    let options = "options:::asyncworker::__private::AmqpOptions{bulk_size:1u16,\
                   ..::asyncworker::__private::AmqpOptions::DEFAULT}";
    assert!(out.contains(options), "{out}");
    assert!(out.contains(r#"name:"handle""#), "{out}");
}

#[test]
fn raw_identifiers_are_named_without_prefix() {
    let out = try_expand(
        tokens(r#"amqp = ["q"]"#),
        tokens("async fn r#type(m: M) {}"),
    )
    .unwrap();
    let out = compact(&out);
    assert!(out.contains(r#"name:"type""#), "{out}");
    assert!(out.contains("amqp_factory::<1u16,_,_>(r#type)"), "{out}");
}

#[test]
fn factory_and_assertion_are_spanned_at_the_function_name() {
    let item = "async fn /*1*/handle(m: Vec<Message<T>>) {}";
    let out = try_expand(tokens(r#"amqp = ["q"]"#), tokens(item)).unwrap();
    let file: syn::File = syn::parse2(out).unwrap();
    let syn::Item::Const(block) = &file.items[1] else {
        panic!("no const _ block");
    };
    let syn::Expr::Block(body) = &*block.expr else {
        panic!("const _ is not a block");
    };
    let ident_pos = marker(item, 1);
    let mut spanned_at_ident = 0;
    for stmt in &body.block.stmts {
        if let syn::Stmt::Item(syn::Item::Fn(f)) = stmt
            && f.sig.ident != "__asyncworker_check_signature"
        {
            // `::asyncworker` in the call: the first token of the only statement.
            let first = f.block.stmts[0]
                .to_token_stream()
                .into_iter()
                .next()
                .unwrap();
            assert_eq!(first.span().start(), ident_pos, "{}", f.sig.ident);
            spanned_at_ident += 1;
        }
    }
    assert_eq!(spanned_at_ident, 2);
}

/// The statements of `__asyncworker_check_signature` in the expansion of `item`.
fn signature_checks(attr: &str, item: &str) -> Vec<syn::Stmt> {
    let out = try_expand(tokens(attr), tokens(item)).unwrap();
    let file: syn::File = syn::parse2(out).unwrap();
    let syn::Item::Const(block) = &file.items[1] else {
        panic!("no const _ block");
    };
    let syn::Expr::Block(body) = &*block.expr else {
        panic!("const _ is not a block");
    };
    body.block
        .stmts
        .iter()
        .find_map(|stmt| match stmt {
            syn::Stmt::Item(syn::Item::Fn(f)) if f.sig.ident == "__asyncworker_check_signature" => {
                Some(f.block.stmts.clone())
            }
            _ => None,
        })
        .expect("no __asyncworker_check_signature")
}

#[test]
fn each_part_of_the_signature_is_checked_at_its_type() {
    let item = "async fn handle(s: /*1*/State<Db>, _: /*2*/App, m: /*3*/Vec<Message<T>>) \
                -> /*4*/Result<(), E> {}";
    let stmts = signature_checks(r#"amqp = ["q"], bulk_size = 7"#, item);
    let expected = [
        (
            1,
            "::asyncworker::__private::assert_extractor::<State<Db>>();",
        ),
        (2, "::asyncworker::__private::assert_extractor::<App>();"),
        (
            3,
            "::asyncworker::__private::assert_messages::<Vec<Message<T>>, 7u16>();",
        ),
        (
            4,
            "::asyncworker::__private::assert_handler_return::<Result<(), E>>();",
        ),
    ];
    assert_eq!(stmts.len(), expected.len());
    for (stmt, (n, text)) in stmts.iter().zip(expected) {
        assert_tokens_eq(&stmt.to_token_stream(), text);
        // Every token of the statement, the path and the bulk size included.
        let mut all = Vec::new();
        collect_spans(stmt.to_token_stream(), &mut all);
        let ty = marker(item, n);
        for (token, span) in all {
            let start = span.start();
            assert!(
                start >= ty,
                "`{token}` of check {n} at {start:?}, before its type at {ty:?}"
            );
        }
    }
}

fn collect_spans(tokens: TokenStream, out: &mut Vec<(String, proc_macro2::Span)>) {
    for tt in tokens {
        if let proc_macro2::TokenTree::Group(group) = &tt {
            collect_spans(group.stream(), out);
        }
        out.push((tt.to_string(), tt.span()));
    }
}

#[test]
fn a_lone_argument_is_the_messages_and_no_return_type_is_not_checked() {
    let stmts = signature_checks(r#"amqp = ["q"]"#, "async fn handle(m: Message<T>) {}");
    assert_eq!(stmts.len(), 1);
    assert_tokens_eq(
        &stmts[0].to_token_stream(),
        "::asyncworker::__private::assert_messages::<Message<T>, 1u16>();",
    );
}

#[test]
fn impl_trait_types_are_left_to_the_factory() {
    let item = "async fn handle(a: impl Sized, m: Vec<impl Sized>) -> impl Sized {}";
    assert!(signature_checks(r#"amqp = ["q"]"#, item).is_empty());
    let item = "async fn handle(a: App, m: Box<dyn Fn(impl Sized)>) {}";
    let stmts = signature_checks(r#"amqp = ["q"]"#, item);
    assert_eq!(stmts.len(), 1);
    assert_tokens_eq(
        &stmts[0].to_token_stream(),
        "::asyncworker::__private::assert_extractor::<App>();",
    );
}

#[test]
fn a_handler_without_arguments_is_an_error_at_the_parentheses() {
    let message =
        "an AMQP handler takes the messages as its last argument: `messages: Vec<Message<T>>`";
    check_with(
        r#"amqp = ["a"]"#,
        "async fn handle/*1*/() {}",
        &[(At::Marker(1), message)],
    );
    check_with(
        r#"amqp = ["a"], bulk_size = /*1*/0"#,
        "fn handle/*3*/() -> u8 { 0 }",
        &[
            (At::Marker(1), "`bulk_size` must be at least 1"),
            (At::Marker(3), message),
        ],
    );
    // Not repeated for a receiver, and not said of routes that are not AMQP.
    check_with(
        r#"amqp = ["a"]"#,
        "async fn handle(/*1*/&self) {}",
        &[(
            At::Marker(1),
            "handlers are free functions: a `self` receiver is not supported (move it out of the impl block)",
        )],
    );
    // An HTTP handler may take no argument at all.
    try_expand(tokens(r#"http = ["/"]"#), tokens("async fn handle() {}"))
        .unwrap_or_else(|err| panic!("an HTTP handler without arguments was refused: {err}"));
}

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
            "`prefetch` does not apply to `sse` routes\nvalid arguments: sse, name, url, headers, bulk_size, bulk_flush, concurrency, timeout, idle_timeout, max_event_size",
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

#[test]
fn expansion_of_an_sse_route() {
    let attr = r#"sse = ["/v2/events", "/v2/other"], url = "http://h:8080", headers = ["Authorization: Bearer ${TOKEN}"], bulk_size = 50, bulk_flush = "2s", concurrency = 2, timeout = "5s", idle_timeout = "45s", max_event_size = 65536, name = "watch""#;
    let item = "async fn handle(s: State<Db>, e: Vec<Event<Status>>) -> Result<(), E> {}";
    let out = compact(&try_expand(tokens(attr), tokens(item)).unwrap());
    for expected in [
        "::asyncworker::__private::assert_extractor::<State<Db>>();",
        "::asyncworker::__private::assert_events::<Vec<Event<Status>>>();",
        "::asyncworker::__private::assert_handler_return::<Result<(),E>>();",
        "::asyncworker::__private::sse_factory::<_,_>(handle)",
        r#"name:"watch""#,
        r#"paths:&["/v2/events","/v2/other"]"#,
        r#"url:::core::option::Option::Some("http://h:8080")"#,
        r#"headers:&["Authorization: Bearer ${TOKEN}"]"#,
        "bulk_size:50u16",
        "bulk_flush_ms:2000u64",
        "concurrency:2u16",
        "timeout_ms:::core::option::Option::Some(5000u64)",
        "idle_timeout_ms:45000u64",
        "max_event_size:65536u64",
        "..::asyncworker::__private::SseOptions::DEFAULT",
    ] {
        let expected: String = expected.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(out.contains(&expected), "missing `{expected}` in\n{out}");
    }
    // Defaults emit nothing but the struct update.
    let out = compact(
        &try_expand(
            tokens(r#"sse = ["/e"]"#),
            tokens("async fn h(e: Vec<Event<T>>) {}"),
        )
        .unwrap(),
    );
    assert!(
        out.contains("options:::asyncworker::__private::SseOptions{..::asyncworker::__private::SseOptions::DEFAULT}"),
        "{out}"
    );
}

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
            "`bulk_size` does not apply to `http` routes\nvalid arguments: http, name, methods",
        )],
    );
    for ok in [
        r#"http = ["/", "/users/{id}", "/files/{*rest}", "/{a}/{b}/x"]"#,
        r#"http = ["/"], methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT"]"#,
        r#"http = ["/"], name = "index""#,
    ] {
        try_expand(tokens(ok), tokens(http_handler))
            .unwrap_or_else(|err| panic!("`{ok}` rejected: {err}"));
    }
}

#[test]
fn expansion_of_an_http_route() {
    let attr = r#"http = ["/users/{id}", "/u/{id}"], methods = ["GET", "POST"], name = "user""#;
    let item = "async fn handle(s: State<Db>, p: Path<u64>, b: Json<User>) -> Json<User> { b }";
    let out = compact(&try_expand(tokens(attr), tokens(item)).unwrap());
    for expected in [
        "::asyncworker::__private::assert_http_extractor::<State<Db>>();",
        "::asyncworker::__private::assert_http_extractor::<Path<u64>>();",
        "::asyncworker::__private::assert_http_last_arg::<Json<User>,_>();",
        "::asyncworker::__private::assert_http_return::<Json<User>>();",
        "::asyncworker::__private::assert_send_future(handle(__arg0,__arg1,__arg2));",
        "use::asyncworker::__private::{ProbeOtheras_,ProbeStateas_};",
        "(&::asyncworker::__private::StateProbe::<State<Db>>::NEW).required_state(__needs);",
        "(&::asyncworker::__private::StateProbe::<Json<User>>::NEW).required_state(__needs);",
        "::asyncworker::__private::http_factory(handle)",
        r#"name:"user""#,
        r#"paths:&["/users/{id}","/u/{id}"]"#,
        r#"methods:&["GET","POST"]"#,
        "factory:__asyncworker_factory",
        "required_state:__asyncworker_required_state",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in\n{out}");
    }
    // Default method, no argument: no probe and no `use` of the probe traits.
    let out =
        compact(&try_expand(tokens(r#"http = ["/"]"#), tokens("async fn index() {}")).unwrap());
    assert!(out.contains(r#"methods:&["GET"]"#), "{out}");
    assert!(!out.contains("ProbeState"), "{out}");
    assert!(!out.contains("assert_http_return"), "{out}");
    // Nothing from `std` or the prelude.
    for forbidden in ["::std", "Vec", "Option", "Some", "Box"] {
        assert!(!out.contains(forbidden), "`{forbidden}` in\n{out}");
    }
}

#[test]
fn a_blocking_handler_is_registered_through_an_adapter() {
    for (attr, item) in [
        (
            r#"amqp = ["a"]"#,
            "fn handle(m: Vec<Message<T>>) -> Result<(), E> { Ok(()) }",
        ),
        (r#"every = "1s""#, "fn tick(app: App) {}"),
        (
            r#"sse = ["/e"], url = "http://127.0.0.1:1""#,
            "fn on(e: Vec<Event>) {}",
        ),
        (r#"http = ["/x"]"#, "fn get() -> String { String::new() }"),
    ] {
        let out = try_expand(tokens(attr), tokens(item))
            .unwrap_or_else(|err| panic!("`{attr}` rejected: {err}"))
            .to_string();
        assert!(out.contains("fn __asyncworker_blocking"), "{out}");
        assert!(out.contains("run_blocking"), "{out}");
        assert!(out.contains("(__asyncworker_blocking)"), "{out}");
    }
}
