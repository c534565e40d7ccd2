//! `#[route(amqp = ...)]` topology keys: the exchanges a route binds its queues to (`bind`,
//! `exchange_type`, `bind_headers`) and its main queues' arguments (`max_length`, `overflow`,
//! `message_ttl`, `delivery_limit`, `single_active`). Every one of them shapes what
//! `declare = true` creates, so each needs it.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{LitInt, LitStr};

use super::args::RouteArgs;
use super::emit::Options;
use crate::duration;
use crate::errors::Errors;
use crate::paths::TOPOLOGY_OPTIONS;

/// AMQP short strings carry a one-byte length: exchange names and routing keys.
const MAX_SHORT_STR: usize = 255;

/// `x-message-ttl` is capped at `u32::MAX` ms by RabbitMQ.
const MAX_TTL_MS: u64 = u32::MAX as u64;

/// The exchange types RabbitMQ ships.
const EXCHANGE_TYPES: [&str; 4] = ["direct", "topic", "fanout", "headers"];

/// The `x-overflow` behaviours.
const OVERFLOWS: [&str; 3] = ["drop-head", "reject-publish", "reject-publish-dlx"];

/// The `x-match` modes of a headers binding.
const MATCH_MODES: [&str; 4] = ["all", "any", "all-with-x", "any-with-x"];

/// The validated topology keys; `None`/empty when not set.
#[derive(Debug, Default)]
pub(crate) struct TopologyRoute {
    /// (exchange, routing key) pairs.
    bind: Vec<(String, String)>,
    exchange_type: Option<String>,
    bind_headers: Vec<(String, String)>,
    max_length: Option<u64>,
    overflow: Option<String>,
    message_ttl_ms: Option<u64>,
    delivery_limit: Option<u64>,
    single_active: Option<bool>,
}

/// Checks the topology keys; `quorum` says whether the route's queues are quorum queues.
pub(crate) fn validate(args: &RouteArgs, quorum: bool, errors: &mut Errors) -> TopologyRoute {
    needs_declare(args, errors);
    let bind = bind_arg(args, errors);
    let exchange_type = exchange_type_arg(args, errors);
    let bind_headers = bind_headers_arg(args, exchange_type.as_deref(), errors);
    let max_length = args
        .max_length
        .as_ref()
        .and_then(|a| errors.ok(positive("max_length", &a.value)));
    let overflow = overflow_arg(args, quorum, errors);
    let message_ttl_ms = args
        .message_ttl
        .as_ref()
        .and_then(|a| errors.ok(ttl(&a.value)));
    let delivery_limit = delivery_limit_arg(args, quorum, errors);
    let single_active = args.single_active.as_ref().map(|a| a.value.value);
    TopologyRoute {
        bind,
        exchange_type,
        bind_headers,
        max_length,
        overflow,
        message_ttl_ms,
        delivery_limit,
        single_active,
    }
}

/// Topology keys shape what `declare = true` creates; a route that does not declare creates
/// nothing, so they would be ignored silently.
fn needs_declare(args: &RouteArgs, errors: &mut Errors) {
    let declare = args.declare.as_ref().map(|a| a.value.value);
    // A `declare` that did not parse was reported already.
    if declare == Some(true) || (declare.is_none() && args.given("declare")) {
        return;
    }
    let keys = [
        "bind",
        "exchange_type",
        "bind_headers",
        "max_length",
        "overflow",
        "message_ttl",
        "delivery_limit",
        "single_active",
    ];
    for (key, span) in args.present() {
        if keys.contains(&key) {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`{key}` shapes what the route declares; add `declare = true` (without it \
                     the route creates no exchange, binding or queue)"
                ),
            ));
        }
    }
}

/// `bind = ["exchange:routing.key", ...]`, split at the first `:`.
fn bind_arg(args: &RouteArgs, errors: &mut Errors) -> Vec<(String, String)> {
    let Some(arg) = &args.bind else {
        return Vec::new();
    };
    if arg.value.items.is_empty() {
        errors.push(syn::Error::new(
            arg.value.bracket.span.join(),
            "`bind` needs at least one `\"exchange:routing.key\"`",
        ));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for lit in &arg.value.items {
        let Some(pair) = errors.ok(binding(lit)) else {
            continue;
        };
        if out.contains(&pair) {
            errors.push(syn::Error::new(
                lit.span(),
                format!("binding `{}` is listed twice", lit.value()),
            ));
        } else {
            out.push(pair);
        }
    }
    out
}

/// One `"exchange:key"`: a named exchange (the default exchange takes no bindings) and a key,
/// both AMQP short strings; the key may be empty (fanout, headers).
fn binding(lit: &LitStr) -> syn::Result<(String, String)> {
    let (exchange, key) = exchange_and_key(lit, "`\"exchange:\"` for an empty key")?;
    if exchange.is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "the exchange before `:` must not be empty (the default exchange takes no bindings)",
        ));
    }
    Ok((exchange, key))
}

/// `"exchange:key"` split at the first `:` (as `bind` and `publishes` write a target), both
/// AMQP short strings; `hint` tells how to write what is missing when there is no `:`.
pub(crate) fn exchange_and_key(lit: &LitStr, hint: &str) -> syn::Result<(String, String)> {
    let text = lit.value();
    let error = |message: String| Err(syn::Error::new(lit.span(), message));
    let Some((exchange, key)) = text.split_once(':') else {
        return error(format!(
            "`{text}` names no routing key: write `\"exchange:routing.key\"` ({hint})"
        ));
    };
    if exchange.len() > MAX_SHORT_STR || key.len() > MAX_SHORT_STR {
        return error("exchange names and routing keys are at most 255 bytes".to_owned());
    }
    Ok((exchange.to_owned(), key.to_owned()))
}

/// `exchange_type = "topic"`: the type of the exchanges `bind` names.
fn exchange_type_arg(args: &RouteArgs, errors: &mut Errors) -> Option<String> {
    let arg = args.exchange_type.as_ref()?;
    if !args.given("bind") {
        errors.push(syn::Error::new(
            arg.key.span,
            "`exchange_type` is the type of the exchanges in `bind`; add `bind = [...]`",
        ));
    }
    one_of("exchange_type", &arg.value, &EXCHANGE_TYPES, errors)
}

/// `bind_headers = ["x-match=all", "type=order"]`: the arguments of every binding of a headers
/// exchange.
fn bind_headers_arg(
    args: &RouteArgs,
    exchange_type: Option<&str>,
    errors: &mut Errors,
) -> Vec<(String, String)> {
    let headers = exchange_type == Some("headers");
    let Some(arg) = &args.bind_headers else {
        if headers && let Some(t) = &args.exchange_type {
            errors.push(syn::Error::new(
                t.value.span(),
                "a headers exchange routes by the binding's arguments: add \
                 `bind_headers = [\"x-match=all\", \"name=value\", ...]`",
            ));
        }
        return Vec::new();
    };
    if !headers && !args.malformed.iter().any(|k| k == "exchange_type") {
        errors.push(syn::Error::new(
            arg.key.span,
            "`bind_headers` needs `exchange_type = \"headers\"`",
        ));
    }
    let mut out = Vec::new();
    for lit in &arg.value.items {
        if let Some(pair) = errors.ok(header(lit)) {
            out.push(pair);
        }
    }
    // Only when every item parsed: a malformed one was reported already.
    let complete = out.len() == arg.value.items.len();
    if complete && out.iter().all(|(k, _)| k == "x-match") {
        errors.push(syn::Error::new(
            arg.value.bracket.span.join(),
            "`bind_headers` needs at least one `\"name=value\"` to match",
        ));
    }
    out
}

/// One `"name=value"` of a headers binding.
fn header(lit: &LitStr) -> syn::Result<(String, String)> {
    let text = lit.value();
    let error = |message: String| Err(syn::Error::new(lit.span(), message));
    let Some((name, value)) = text.split_once('=') else {
        return error(format!("`{text}` is not `\"name=value\"`"));
    };
    if name.is_empty() {
        return error("the header name before `=` must not be empty".to_owned());
    }
    if name == "x-match" && !MATCH_MODES.contains(&value) {
        return error(format!(
            "unknown `x-match` mode `{value}`: expected {}",
            quoted(&MATCH_MODES)
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// `overflow = "drop-head"`: what a full queue does; it needs `max_length`.
fn overflow_arg(args: &RouteArgs, quorum: bool, errors: &mut Errors) -> Option<String> {
    let arg = args.overflow.as_ref()?;
    if !args.given("max_length") {
        errors.push(syn::Error::new(
            arg.key.span,
            "`overflow` says what a full queue does; add `max_length = N`",
        ));
    }
    let value = one_of("overflow", &arg.value, &OVERFLOWS, errors)?;
    if quorum && value == "reject-publish-dlx" {
        errors.push(syn::Error::new(
            arg.value.span(),
            "quorum queues do not support `reject-publish-dlx`; use \"drop-head\" or \
             \"reject-publish\"",
        ));
        return None;
    }
    Some(value)
}

/// `delivery_limit = N`: a quorum queue's redelivery limit.
fn delivery_limit_arg(args: &RouteArgs, quorum: bool, errors: &mut Errors) -> Option<u64> {
    let arg = args.delivery_limit.as_ref()?;
    if !quorum && !args.malformed.iter().any(|k| k == "queue_type") {
        errors.push(syn::Error::new(
            arg.key.span,
            "`delivery_limit` is a quorum queue's (`x-delivery-limit`); add \
             `queue_type = \"quorum\"`",
        ));
    }
    errors.ok(positive("delivery_limit", &arg.value))
}

/// `message_ttl = "30s"`: positive, and at most what RabbitMQ takes.
fn ttl(lit: &LitStr) -> syn::Result<u64> {
    let ms = duration::millis("message_ttl", lit)?;
    if ms > MAX_TTL_MS {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`message_ttl` must be at most {MAX_TTL_MS}ms (about 49 days): RabbitMQ \
                 limits x-message-ttl to a u32"
            ),
        ));
    }
    Ok(ms)
}

/// A count from 1 to `i64::MAX` (the broker's `long` arguments).
fn positive(key: &str, lit: &LitInt) -> syn::Result<u64> {
    let value = lit.base10_parse::<i128>().unwrap_or(i128::MAX);
    if value < 1 {
        return Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must be at least 1"),
        ));
    }
    u64::try_from(value)
        .ok()
        .filter(|v| i64::try_from(*v).is_ok())
        .ok_or_else(|| syn::Error::new(lit.span(), format!("`{key}` must fit a signed 64-bit")))
}

/// The value of `lit` if it is one of `allowed`.
fn one_of(key: &str, lit: &LitStr, allowed: &[&str], errors: &mut Errors) -> Option<String> {
    let value = lit.value();
    if allowed.contains(&value.as_str()) {
        return Some(value);
    }
    errors.push(syn::Error::new(
        lit.span(),
        format!(
            "unknown value `{value}` for `{key}`: expected {}",
            quoted(allowed)
        ),
    ));
    None
}

fn quoted(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
    quoted.join(", ")
}

/// `&[("a", "b"), ...]`.
fn pairs(pairs: &[(String, String)]) -> TokenStream {
    let items = pairs.iter().map(|(a, b)| quote!((#a, #b)));
    quote!(&[#(#items),*])
}

impl TopologyRoute {
    /// The `topology: TopologyOptions { .. }` field of the route's options, if any key is set.
    pub(crate) fn field(&self) -> Option<TokenStream> {
        let set = |v: &Vec<(String, String)>| (!v.is_empty()).then(|| pairs(v));
        Options::new()
            .set("bind", set(&self.bind))
            .set("exchange_type", self.exchange_type.as_deref())
            .set("bind_headers", set(&self.bind_headers))
            .some("max_length", self.max_length)
            .some("overflow", self.overflow.as_deref())
            .some("message_ttl_ms", self.message_ttl_ms)
            .some("delivery_limit", self.delivery_limit)
            .set("single_active", self.single_active)
            .finish_if_any(TOPOLOGY_OPTIONS)
    }
}
