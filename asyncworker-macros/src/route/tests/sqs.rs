//! `#[route(sqs = ...)]`: every error at its token, the forms accepted, and what is emitted.

use super::expand::{registration_options, signature_checks};
use super::*;
use crate::test_support::{At, assert_tokens_eq, marker};
use quote::ToTokens;

const SQS_HANDLER: &str = "async fn handle(m: Vec<SqsMessage<T>>) {}";

const SQS_VALID: &str = "valid arguments: sqs, name, bulk_size, bulk_flush, concurrency, \
    on_success, on_exception, on_decode_error, timeout, wait_time, visibility_timeout, retries, \
    retry_delay, dead_letter, error_handler, codec, publishes";

const WAIT_TIME: &str = "`wait_time` is whole seconds from 0s to 20s (SQS's long-poll limit)";

const VISIBILITY: &str = "`visibility_timeout` is whole seconds from 1s to 12h (43200s, the \
    longest visibility timeout SQS accepts)";

const RETRY_DELAY: &str = "`retry_delay` on an SQS route is whole seconds from 1s to 12h: SQS \
    counts visibility in whole seconds, up to 43200s (ChangeMessageVisibility's limit)";

const NAME_RULE: &str = "is not an SQS queue name: ASCII letters, digits, `-` and `_`, \
    optionally ending in `.fifo` (or give the queue's URL)";

const URL_RULE: &str = "is not a queue URL: `http://` or `https://`, a host and a path, no \
    whitespace, e.g. \"https://sqs.eu-west-1.amazonaws.com/123456789012/orders\"";

fn sqs(attr: &str, expected: &[(At, &str)]) {
    check_with(attr, SQS_HANDLER, expected);
}

fn sqs1(attr: &str, message: &str) {
    sqs(attr, &[(At::Marker(1), message)]);
}

fn sqs_accepts(attr: &str) -> TokenStream {
    try_expand(tokens(attr), tokens(SQS_HANDLER))
        .unwrap_or_else(|err| panic!("`{attr}` rejected: {err}"))
}

#[test]
fn queue_list_checks() {
    sqs1("sqs = /*1*/[]", "`sqs` needs at least one queue");
    sqs1(
        r#"sqs = /*1*/"orders""#,
        "`sqs` takes a list of queues: `sqs = [\"queue\", ...]`",
    );
    sqs1(r#"sqs = ["a", /*1*/5]"#, "expected string literal");
    sqs1(r#"sqs = ["a", "b", /*1*/"a"]"#, "queue `a` is listed twice");
    sqs1(
        r#"sqs = ["a", /*1*/""]"#,
        "an SQS queue name must not be empty",
    );
    // A wrong entry listed twice: both mistakes, at the second.
    sqs(
        r#"sqs = [/*1*/"a b", /*2*/"a b"]"#,
        &[
            (At::Marker(1), &format!("`a b` {NAME_RULE}")),
            (At::Marker(2), &format!("`a b` {NAME_RULE}")),
            (At::Marker(2), "queue `a b` is listed twice"),
        ],
    );
}

#[test]
fn queue_names() {
    for bad in [
        "orders.v2",
        "orders queue",
        "ord/ers",
        ".fifo",
        "a.fifo.fifo",
        "a.FIFO",
        "ä",
    ] {
        sqs1(
            &format!(r#"sqs = [/*1*/"{bad}"]"#),
            &format!("`{bad}` {NAME_RULE}"),
        );
    }
    let too_long = "an SQS queue name is at most 80 characters, `.fifo` included";
    sqs1(&format!(r#"sqs = [/*1*/"{}"]"#, "x".repeat(81)), too_long);
    sqs1(
        &format!(r#"sqs = [/*1*/"{}.fifo"]"#, "x".repeat(76)),
        too_long,
    );
    sqs_accepts(&format!(r#"sqs = ["{}"]"#, "x".repeat(80)));
    sqs_accepts(&format!(r#"sqs = ["{}.fifo"]"#, "x".repeat(75)));
    // FIFO and standard queues mix.
    sqs_accepts(r#"sqs = ["orders", "Orders_2-b", "payments.fifo", "a"]"#);
}

#[test]
fn queue_urls() {
    for bad in [
        "https://",
        "https:///123/orders",
        "https://sqs.eu-west-1.amazonaws.com",
        "https://sqs.eu-west-1.amazonaws.com/",
        "https://sqs.eu-west-1.amazonaws.com/1/or ders",
        "ftp://sqs.eu-west-1.amazonaws.com/1/orders",
        "sqs://orders",
    ] {
        sqs1(
            &format!(r#"sqs = ["a", /*1*/"{bad}"]"#),
            &format!("`{bad}` {URL_RULE}"),
        );
    }
    sqs_accepts(
        r#"sqs = ["https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
            "https://sqs.eu-west-1.amazonaws.com/123456789012/payments.fifo",
            "http://localhost:4566/000000000000/local", "orders"]"#,
    );
}

#[test]
fn wait_time_is_a_long_poll_of_0_to_20_seconds() {
    for good in ["0s", "20s", "1s", "10000ms"] {
        sqs_accepts(&format!(r#"sqs = ["q"], wait_time = "{good}""#));
    }
    for bad in ["21s", "1m", "1500ms", "500ms"] {
        sqs1(
            &format!(r#"sqs = ["q"], wait_time = /*1*/"{bad}""#),
            WAIT_TIME,
        );
    }
    sqs1(
        r#"sqs = ["q"], wait_time = /*1*/"soon""#,
        "invalid duration `soon`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
    );
    sqs1(
        r#"sqs = ["q"], wait_time = /*1*/20"#,
        "expected string literal",
    );
}

#[test]
fn visibility_timeout_is_1s_to_12h() {
    for good in ["1s", "30s", "12h", "43200s", "11h59m59s"] {
        sqs_accepts(&format!(r#"sqs = ["q"], visibility_timeout = "{good}""#));
    }
    for bad in ["0s", "12h1s", "500ms", "1s1ms", "13h"] {
        sqs1(
            &format!(r#"sqs = ["q"], visibility_timeout = /*1*/"{bad}""#),
            VISIBILITY,
        );
    }
}

#[test]
fn retries_and_retry_delay() {
    sqs1(
        r#"sqs = ["q"], /*1*/retry_delay = "10s""#,
        "`retry_delay` needs `retries = N`",
    );
    sqs1(
        r#"sqs = ["q"], retries = /*1*/0"#,
        "`retries = 0` does nothing without `dead_letter`: use `retries = N` for N delayed \
         retries, or add `dead_letter = \"...\"` to park a failed message at once",
    );
    sqs1(
        r#"sqs = ["q"], retries = /*1*/10001"#,
        "`retries` must be at most 10000 (delayed retries after the first failure)",
    );
    for bad in ["0s", "1500ms", "12h1s", "100ms"] {
        sqs1(
            &format!(r#"sqs = ["q"], retries = 3, retry_delay = /*1*/"{bad}""#),
            RETRY_DELAY,
        );
    }
    sqs1(
        r#"sqs = ["q"], retries = 3, retry_delay = ["1s", /*1*/"2500ms", "5s"]"#,
        RETRY_DELAY,
    );
    sqs1(
        r#"sqs = ["q"], retries = 3, retry_delay = ["30s", /*1*/"30s"]"#,
        "retry delays must grow from tier to tier: `30s` is not longer than `30s` before it",
    );
    sqs1(
        r#"sqs = ["q"], retries = 1, retry_delay = ["1s", /*1*/"2s"]"#,
        "tier 2 can never be used: `retries = 1` waits in at most 1 tier(s)",
    );
    // Both mistakes of one argument, each at its token.
    sqs(
        r#"sqs = ["q"], /*1*/retry_delay = /*2*/"1500ms""#,
        &[
            (At::Marker(1), "`retry_delay` needs `retries = N`"),
            (At::Marker(2), RETRY_DELAY),
        ],
    );
    sqs_accepts(r#"sqs = ["q"], retries = 3, retry_delay = "12h""#);
    sqs_accepts(r#"sqs = ["q"], retries = 3, retry_delay = "2000ms""#);
    sqs_accepts(r#"sqs = ["q"], retries = 3, retry_delay = ["1s", "30s", "12h"]"#);
    sqs_accepts(r#"sqs = ["q"], retries = 0, dead_letter = "q-dlq""#);
}

#[test]
fn dead_letter_checks() {
    sqs1(
        r#"sqs = ["orders", "audit"], dead_letter = /*1*/"audit""#,
        "`dead_letter` must not be `audit`, a queue of this route: a failed message would come \
         back to this handler, in a loop",
    );
    let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/orders";
    sqs1(
        &format!(r#"sqs = ["{url}"], dead_letter = /*1*/"{url}""#),
        &format!(
            "`dead_letter` must not be `{url}`, a queue of this route: a failed message would \
             come back to this handler, in a loop"
        ),
    );
    sqs1(
        r#"sqs = ["q"], dead_letter = /*1*/"q dlq""#,
        &format!("`q dlq` {NAME_RULE}"),
    );
    sqs1(
        r#"sqs = ["q"], dead_letter = /*1*/"https://host""#,
        &format!("`https://host` {URL_RULE}"),
    );
    sqs1(
        r#"sqs = ["q"], dead_letter = /*1*/"""#,
        "an SQS queue name must not be empty",
    );
    sqs1(
        r#"sqs = ["q"], dead_letter = /*1*/q_dlq"#,
        "expected string literal",
    );
    sqs_accepts(r#"sqs = ["orders"], dead_letter = "orders-dlq""#);
    sqs_accepts(r#"sqs = ["orders.fifo"], dead_letter = "orders-dlq.fifo""#);
    sqs_accepts(&format!(r#"sqs = ["orders"], dead_letter = "{url}-dlq""#));
}

#[test]
fn counts_durations_and_actions() {
    sqs(
        r#"sqs = ["q"], bulk_size = /*1*/0, concurrency = /*2*/70000, bulk_flush = /*3*/"0s",
            timeout = /*4*/"1 s", on_success = /*5*/"nack""#,
        &[
            (At::Marker(1), "`bulk_size` must be at least 1"),
            (At::Marker(2), "`concurrency` must be at most 65535"),
            (At::Marker(3), "`bulk_flush` must be greater than zero"),
            (
                At::Marker(4),
                "invalid duration `1 s`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
            ),
            (
                At::Marker(5),
                "unknown action `nack` for `on_success`: expected \"ack\", \"reject\" or \
                 \"requeue\"",
            ),
        ],
    );
    // No AMQP prefetch behind the bulk: its u16 remark does not apply.
    sqs1(
        r#"sqs = ["q"], bulk_size = /*1*/65536"#,
        "`bulk_size` must be at most 65535",
    );
    sqs_accepts(
        r#"sqs = ["q"], bulk_size = 65535, concurrency = 8, bulk_flush = "2s", timeout = "30s",
            on_success = "ack", on_exception = "requeue", on_decode_error = "reject""#,
    );
}

#[test]
fn keys_of_other_backends_are_refused_at_the_key() {
    for (key, value) in [
        ("prefetch", "10"),
        ("vhost", "\"v\""),
        ("declare", "true"),
        ("max_redeliveries", "3"),
        ("url", "\"http://h\""),
    ] {
        sqs1(
            &format!(r#"sqs = ["q"], /*1*/{key} = {value}"#),
            &format!("`{key}` does not apply to `sqs` routes\n{SQS_VALID}"),
        );
    }
    let amqp_valid = VALID.strip_prefix("valid arguments: ").unwrap();
    for key in ["wait_time", "visibility_timeout"] {
        check1(
            &format!(r#"amqp = ["q"], /*1*/{key} = "1s""#),
            &format!("`{key}` does not apply to `amqp` routes\nvalid arguments: {amqp_valid}"),
        );
    }
    sqs1(
        r#"sqs = ["q"], /*1*/wait_tme = "1s""#,
        &format!("unknown argument `wait_tme`; did you mean `wait_time`?\n{SQS_VALID}"),
    );
    sqs1(
        r#"sqs = ["q"], /*1*/amqp = ["q"]"#,
        "a route has exactly one backend; found `sqs` and `amqp`",
    );
}

#[test]
fn the_handler_takes_the_messages() {
    check_with(
        r#"sqs = ["q"]"#,
        "async fn handle/*1*/() {}",
        &[(
            At::Marker(1),
            "an SQS handler takes the messages as its last argument: \
             `messages: Vec<SqsMessage<T>>`",
        )],
    );
}

#[test]
fn every_error_at_once() {
    sqs(
        r#"sqs = ["orders", /*1*/"bad name"], wait_time = /*2*/"30s",
            visibility_timeout = /*3*/"0s", /*4*/retry_delay = /*5*/"1500ms",
            dead_letter = /*6*/"orders", /*7*/prefetch = 3"#,
        &[
            (At::Marker(1), &format!("`bad name` {NAME_RULE}")),
            (At::Marker(2), WAIT_TIME),
            (At::Marker(3), VISIBILITY),
            (At::Marker(4), "`retry_delay` needs `retries = N`"),
            (At::Marker(5), RETRY_DELAY),
            (
                At::Marker(6),
                "`dead_letter` must not be `orders`, a queue of this route: a failed message \
                 would come back to this handler, in a loop",
            ),
            (
                At::Marker(7),
                &format!("`prefetch` does not apply to `sqs` routes\n{SQS_VALID}"),
            ),
        ],
    );
}

#[test]
fn options_emit_what_was_written() {
    let attr = r#"sqs = ["orders", "https://sqs.eu-west-1.amazonaws.com/1/audit.fifo"],
        bulk_size = 10, bulk_flush = "500ms", concurrency = 4, on_success = "ack",
        on_exception = "reject", on_decode_error = "requeue", timeout = "5s", retries = 3,
        retry_delay = ["1s", "30s"], dead_letter = "orders-dlq", wait_time = "20s",
        visibility_timeout = "12h""#;
    assert_tokens_eq(
        &registration_options(sqs_accepts(attr)),
        r#"::asyncworker::__private::SqsOptions {
            bulk_size: 10u16,
            bulk_flush_ms: 500u64,
            concurrency: 4u16,
            on_success: ::asyncworker::__private::Action::Ack,
            on_exception: ::asyncworker::__private::Action::Reject,
            on_decode_error: ::asyncworker::__private::Action::Requeue,
            timeout_ms: ::core::option::Option::Some(5000u64),
            retries: 3u16,
            retry_delay_ms: 1000u64,
            retry_delays_ms: &[1000u64, 30000u64],
            dead_letter: ::core::option::Option::Some("orders-dlq"),
            wait_time_s: 20u8,
            visibility_timeout_s: 43200u32,
            ..::asyncworker::__private::SqsOptions::DEFAULT
        }"#,
    );
    // Only the bulk size, which the factory's must equal, when nothing is written.
    for (attr, fields) in [
        (r#"sqs = ["q"]"#, ""),
        (r#"sqs = ["q"], wait_time = "0s""#, "wait_time_s: 0u8,"),
        (
            r#"sqs = ["q"], retries = 2, retry_delay = "1m""#,
            "retries: 2u16, retry_delay_ms: 60000u64,",
        ),
    ] {
        assert_tokens_eq(
            &registration_options(sqs_accepts(attr)),
            &format!(
                "::asyncworker::__private::SqsOptions {{ bulk_size: 1u16, {fields} \
                 ..::asyncworker::__private::SqsOptions::DEFAULT }}"
            ),
        );
    }
}

#[test]
fn the_record_and_the_factory() {
    let out = try_expand(
        tokens(r#"sqs = ["orders", "payments.fifo"], bulk_size = 5, name = "pay""#),
        tokens("async fn handle(s: State<Db>, m: Vec<SqsMessage<Order>>) {}"),
    )
    .unwrap();
    let text: String = out.to_string().split_whitespace().collect();
    for expected in [
        "::asyncworker::__private::backend_sqs!",
        "fn__asyncworker_factory()->::asyncworker::__private::SqsFactory",
        "::asyncworker::__private::sqs_factory::<5u16,::asyncworker::__private::Json,_,_>(handle)",
        "::asyncworker::__private::assert_codec::<::asyncworker::__private::Json,Order>();",
        "::asyncworker::__private::SqsRouteDef{",
        r#"name:"pay""#,
        r#"queues:&["orders","payments.fifo"]"#,
        "message:__asyncworker_message,factory:__asyncworker_factory,",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
    // With an error handler: the typed step, then the user's function given to it.
    let out = try_expand(
        tokens(r#"sqs = ["q"], error_handler = on_failure"#),
        tokens(SQS_HANDLER),
    )
    .unwrap();
    let text: String = out.to_string().split_whitespace().collect();
    let call = "::asyncworker::__private::sqs_factory_with(\
                ::asyncworker::__private::sqs_typed::<1u16,::asyncworker::__private::Json,_,_>(handle),\
                on_failure)";
    assert!(text.contains(call), "missing `{call}` in\n{text}");
}

#[test]
fn the_messages_are_asserted_at_their_type_with_the_bulk_size() {
    let item = "async fn handle(a: /*1*/App, m: /*2*/SqsMessage<String>) -> /*3*/Result<(), E> {}";
    let stmts = signature_checks(r#"sqs = ["q"]"#, item);
    let expected = [
        (1, "::asyncworker::__private::assert_extractor::<App>();"),
        (
            2,
            "::asyncworker::__private::assert_sqs_messages::<SqsMessage<String>, 1u16>();",
        ),
        (
            3,
            "::asyncworker::__private::assert_handler_return::<Result<(), E>>();",
        ),
    ];
    assert_eq!(stmts.len(), expected.len());
    for (stmt, (n, text)) in stmts.iter().zip(expected) {
        assert_tokens_eq(&stmt.to_token_stream(), text);
        let first = stmt.to_token_stream().into_iter().next().unwrap();
        assert_eq!(first.span().start(), marker(item, n), "{text}");
    }
}
