//! `#[route(amqp = ...)]`: every option's checks, each error at its token.

use super::*;
use crate::test_support::At;

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
        "`retry_delay` takes a duration (\"10s\") or one per tier ([\"1s\", \"30s\"])",
    );
    check1(
        r#"amqp = ["a"], retries = 3, retry_delay = ["1s", /*1*/"1s"]"#,
        "retry delays must grow from tier to tier: `1s` is not longer than `1s` before it",
    );
    check1(
        r#"amqp = ["a"], retries = 1, retry_delay = ["1s", /*1*/"2s"]"#,
        "tier 2 can never be used: `retries = 1` waits in at most 1 tier(s)",
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
    check1(
        r#"amqp = ["orders"], retries = 2, dead_letter = /*1*/"orders.retry.30s""#,
        "`dead_letter` must not be `orders.retry.30s`, the retry queue of `orders`: a failed \
         message would come back to this handler, in a loop",
    );
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
    let valid = "valid arguments: every, cron, name, max_concurrency, immediately, singleton, tz, timeout, publishes";
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
fn topology_keys_need_declare() {
    let needs = |key: &str| {
        format!(
            "`{key}` shapes what the route declares; add `declare = true` (without it the route \
             creates no exchange, binding or queue)"
        )
    };
    check1(r#"amqp = ["a"], /*1*/bind = ["ex:k"]"#, &needs("bind"));
    check1(
        r#"amqp = ["a"], declare = false, /*1*/max_length = 10"#,
        &needs("max_length"),
    );
    check1(
        r#"amqp = ["a"], /*1*/single_active = true"#,
        &needs("single_active"),
    );
    check1(
        r#"amqp = ["a"], /*1*/message_ttl = "30s""#,
        &needs("message_ttl"),
    );
    accepts(r#"amqp = ["a"], declare = true, bind = ["shop:order.*", "audit:"]"#);
}

#[test]
fn bindings_name_an_exchange_and_a_key() {
    let head = r#"amqp = ["a"], declare = true, bind = "#;
    check1(
        &format!(r#"{head}["ok:k", /*1*/"nokey"]"#),
        "`nokey` names no routing key: write `\"exchange:routing.key\"` (`\"exchange:\"` for \
         an empty key)",
    );
    check1(
        &format!(r#"{head}[/*1*/":k"]"#),
        "the exchange before `:` must not be empty (the default exchange takes no bindings)",
    );
    check1(
        &format!(r#"{head}["e:k", /*1*/"e:k"]"#),
        "binding `e:k` is listed twice",
    );
    check1(
        &format!("{head}/*1*/[]"),
        "`bind` needs at least one `\"exchange:routing.key\"`",
    );
    // Split at the first `:`: the key may hold more.
    accepts(&format!(r#"{head}["e:a:b"]"#));
}

#[test]
fn exchange_types_and_header_bindings() {
    let head = r#"amqp = ["a"], declare = true"#;
    check1(
        &format!(r#"{head}, bind = ["e:"], exchange_type = /*1*/"fan""#),
        "unknown value `fan` for `exchange_type`: expected \"direct\", \"topic\", \"fanout\", \
         \"headers\"",
    );
    check1(
        &format!(r#"{head}, /*1*/exchange_type = "fanout""#),
        "`exchange_type` is the type of the exchanges in `bind`; add `bind = [...]`",
    );
    check1(
        &format!(r#"{head}, bind = ["e:"], /*1*/bind_headers = ["a=b"]"#),
        "`bind_headers` needs `exchange_type = \"headers\"`",
    );
    check1(
        &format!(r#"{head}, bind = ["e:"], exchange_type = /*1*/"headers""#),
        "a headers exchange routes by the binding's arguments: add `bind_headers = \
         [\"x-match=all\", \"name=value\", ...]`",
    );
    let headers = format!(r#"{head}, bind = ["e:"], exchange_type = "headers", bind_headers = "#);
    check1(
        &format!(r#"{headers}[/*1*/"x-match=some", "a=b"]"#),
        "unknown `x-match` mode `some`: expected \"all\", \"any\", \"all-with-x\", \"any-with-x\"",
    );
    check1(
        &format!(r#"{headers}["a=b", /*1*/"c"]"#),
        "`c` is not `\"name=value\"`",
    );
    check1(
        &format!(r#"{headers}/*1*/["x-match=any"]"#),
        "`bind_headers` needs at least one `\"name=value\"` to match",
    );
    accepts(&format!(r#"{headers}["x-match=any", "type=order", "v="]"#));
    accepts(&format!(
        r#"{head}, bind = ["e:"], exchange_type = "fanout""#
    ));
}

#[test]
fn queue_arguments_are_checked() {
    let head = r#"amqp = ["a"], declare = true"#;
    check1(
        &format!("{head}, max_length = /*1*/0"),
        "`max_length` must be at least 1",
    );
    check1(
        &format!(r#"{head}, /*1*/overflow = "drop-head""#),
        "`overflow` says what a full queue does; add `max_length = N`",
    );
    check1(
        &format!(r#"{head}, max_length = 5, overflow = /*1*/"drop-tail""#),
        "unknown value `drop-tail` for `overflow`: expected \"drop-head\", \"reject-publish\", \
         \"reject-publish-dlx\"",
    );
    check1(
        &format!(
            r#"{head}, queue_type = "quorum", max_length = 5, overflow = /*1*/"reject-publish-dlx""#
        ),
        "quorum queues do not support `reject-publish-dlx`; use \"drop-head\" or \
         \"reject-publish\"",
    );
    check1(
        &format!(r#"{head}, message_ttl = /*1*/"0s""#),
        "`message_ttl` must be greater than zero",
    );
    check1(
        &format!(r#"{head}, message_ttl = /*1*/"1200h""#),
        "`message_ttl` must be at most 4294967295ms (about 49 days): RabbitMQ limits \
         x-message-ttl to a u32",
    );
    check1(
        &format!("{head}, /*1*/delivery_limit = 5"),
        "`delivery_limit` is a quorum queue's (`x-delivery-limit`); add `queue_type = \"quorum\"`",
    );
    accepts(&format!(
        r#"{head}, queue_type = "quorum", delivery_limit = 5, max_length = 100, overflow = "reject-publish", message_ttl = "30s", single_active = true"#
    ));
}
