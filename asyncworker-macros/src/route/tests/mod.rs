//! Tests of `#[route]`, by topic, and the helpers they share: each asserts every error of an
//! expansion with its position (`/*N*/` markers), or the tokens of a valid one.

mod amqp;
mod args;
mod codec;
mod expand;
mod http;
mod item;
// The invalid-cron case needs the cron parser, which comes with the `schedule` feature.
#[cfg(feature = "schedule")]
mod schedule;
mod sqs;
mod sse;

use super::*;
use crate::test_support::{At, assert_errors, tokens};
use proc_macro2::TokenStream;

const HANDLER: &str = "async fn handle(m: Vec<Message<T>>) {}";

const VALID: &str = "valid arguments: amqp, name, vhost, connection, bulk_size, bulk_flush, \
    prefetch, concurrency, on_success, on_exception, on_decode_error, timeout, retries, \
    retry_delay, dead_letter, declare, queue_type, bind, exchange_type, bind_headers, max_length, \
    overflow, message_ttl, delivery_limit, single_active, max_redeliveries, error_handler, codec, \
    publishes";

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
