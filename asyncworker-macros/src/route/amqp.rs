//! `#[route(amqp = [...])]`: option checks and the emitted registration.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{ItemFn, LitStr};

use super::args::{Queues, RouteArgs, kw};
use super::consumer::{self, Consumer};
use super::emit::{Handler, Options};
use super::queues;
use super::retry::{self, Retry};
use super::settle::{self, Action, Actions};
use super::topology::{self, TopologyRoute};
use crate::duration;
use crate::errors::Errors;
use crate::item;
use crate::parse::count_u16;
use crate::paths::{
    AMQP_FACTORY, AMQP_FACTORY_TYPE, AMQP_FACTORY_WITH, AMQP_OPTIONS, AMQP_ROUTE_DEF, AMQP_TYPED,
    ASSERT_MESSAGES, QUEUE_TYPE,
};

/// The queue list of an AMQP route.
pub(crate) type AmqpQueues = Queues<kw::amqp>;

/// Counts that end up in AMQP's u16 prefetch say so when they are too large.
const PREFETCH: &str = " (it must fit the u16 prefetch)";

/// AMQP short strings carry a one-byte length.
const MAX_QUEUE_NAME_BYTES: usize = 255;

/// `retry_delay` becomes the retry queue's `x-message-ttl`, which RabbitMQ caps at `u32::MAX` ms.
const MAX_RETRY_DELAY_MS: u64 = u32::MAX as u64;

/// Suffix of the TTL queue a queue's delayed retries wait in; mirrors the runtime.
const RETRY_SUFFIX: &str = ".retry";

/// The `x-queue-type` of declared queues; mirrors the runtime's `__private::QueueType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum QueueType {
    Classic,
    Quorum,
}

impl ToTokens for QueueType {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(QUEUE_TYPE.variant(self));
    }
}

/// A validated AMQP route. `None` fields were not set by the user and keep the runtime default.
#[derive(Debug, Default)]
pub(crate) struct AmqpRoute {
    pub(crate) queues: Vec<LitStr>,
    pub(crate) vhost: Option<LitStr>,
    pub(crate) connection: Option<LitStr>,
    pub(crate) bulk_size: u16,
    pub(crate) bulk_flush_ms: Option<u64>,
    pub(crate) prefetch: Option<u16>,
    pub(crate) concurrency: Option<u16>,
    pub(crate) actions: Actions,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) retry: Retry,
    pub(crate) dead_letter: Option<LitStr>,
    pub(crate) declare: Option<bool>,
    pub(crate) queue_type: Option<QueueType>,
    pub(crate) topology: TopologyRoute,
    pub(crate) max_redeliveries: Option<u16>,
    pub(crate) error_handler: Option<syn::Path>,
    /// `codec = path`: the user's codec of the bodies.
    pub(crate) codec: Option<syn::Path>,
}

/// Checks the AMQP-specific arguments, pushing every problem into `errors`.
pub(crate) fn validate(args: &RouteArgs, queues: &AmqpQueues, errors: &mut Errors) -> AmqpRoute {
    queues::check(queues, &queue_name, errors);

    let vhost = args
        .vhost
        .as_ref()
        .and_then(|a| errors.ok(non_empty("vhost", &a.value)));
    let connection = args
        .connection
        .as_ref()
        .and_then(|a| errors.ok(non_empty("connection", &a.value)));
    let bulk_size = args
        .bulk_size
        .as_ref()
        .map(|a| errors.ok(count_u16("bulk_size", &a.value, PREFETCH)));
    let prefetch = args
        .prefetch
        .as_ref()
        .and_then(|a| errors.ok(count_u16("prefetch", &a.value, PREFETCH)));
    let concurrency = args
        .concurrency
        .as_ref()
        .and_then(|a| errors.ok(count_u16("concurrency", &a.value, PREFETCH)));
    let bulk_flush_ms = args
        .bulk_flush
        .as_ref()
        .and_then(|a| errors.ok(duration::millis("bulk_flush", &a.value)));
    let timeout_ms = args
        .timeout
        .as_ref()
        .and_then(|a| errors.ok(duration::millis("timeout", &a.value)));
    let actions = settle::validate(args, errors);

    // An invalid `bulk_size` was reported already; comparing against it would only add noise.
    if let (Some(Some(bulk)), Some(fetch), Some(arg)) = (bulk_size, prefetch, &args.prefetch)
        && fetch < bulk
    {
        errors.push(syn::Error::new(
            arg.value.span(),
            format!(
                "`prefetch` ({fetch}) is smaller than `bulk_size` ({bulk}): the bulk could never fill"
            ),
        ));
    }

    let retry = retry::validate(args, &one_delay, errors);
    let max_redeliveries = max_redeliveries_arg(args, actions.on_exception, errors);
    let dead_letter = args
        .dead_letter
        .as_ref()
        .and_then(|a| errors.ok(dead_letter_arg(&a.value, queues)));
    let declare = args.declare.as_ref().map(|a| a.value.value);
    let queue_type = queue_type_arg(args, declare, errors);
    let topology = topology::validate(args, queue_type == Some(QueueType::Quorum), errors);

    AmqpRoute {
        queues: queues.names.iter().cloned().collect(),
        vhost,
        connection,
        bulk_size: bulk_size.flatten().unwrap_or(1),
        bulk_flush_ms,
        prefetch,
        concurrency,
        actions,
        timeout_ms,
        retry,
        dead_letter,
        declare,
        queue_type,
        topology,
        max_redeliveries,
        error_handler: args.error_handler.as_ref().map(|a| a.value.0.clone()),
        codec: args.codec.as_ref().map(|a| a.value.0.clone()),
    }
}

/// A queue name is an AMQP short string: 1 to 255 bytes.
fn queue_name(lit: &LitStr) -> syn::Result<()> {
    let name = lit.value();
    let message = if name.is_empty() {
        "queue name must not be empty"
    } else if name.len() > MAX_QUEUE_NAME_BYTES {
        "queue name is longer than 255 bytes (AMQP short string)"
    } else {
        return Ok(());
    };
    Err(syn::Error::new(lit.span(), message))
}

/// One retry delay, a queue's `x-message-ttl`: positive and at most `u32::MAX` ms.
fn one_delay(lit: &LitStr) -> syn::Result<u64> {
    let ms = duration::millis("retry_delay", lit)?;
    if ms > MAX_RETRY_DELAY_MS {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`retry_delay` must be at most {MAX_RETRY_DELAY_MS}ms (about 49 days): it is the \
                 retry queue's x-message-ttl, which RabbitMQ limits to a u32"
            ),
        ));
    }
    Ok(ms)
}

/// `max_redeliveries = N`, `0..=65535`: deliveries of an always-failing message before the
/// poison guard rejects it; 0 turns the guard off. Only on routes whose failed messages are
/// requeued: `retries` and `dead_letter` have their own ending.
fn max_redeliveries_arg(
    args: &RouteArgs,
    on_exception: Option<Action>,
    errors: &mut Errors,
) -> Option<u16> {
    let arg = args.max_redeliveries.as_ref()?;
    for other in ["retries", "dead_letter"] {
        if args.given(other) {
            errors.push(syn::Error::new(
                arg.key.span,
                format!(
                    "`max_redeliveries` applies to routes that requeue failed messages; with \
                     `{other}` they are retried or parked instead"
                ),
            ));
        }
    }
    if let Some(action) = on_exception.filter(|a| *a != Action::Requeue) {
        errors.push(syn::Error::new(
            arg.key.span,
            format!(
                "`max_redeliveries` does nothing with `on_exception = \"{}\"`: failed messages \
                 are not requeued",
                match action {
                    Action::Ack => "ack",
                    _ => "reject",
                }
            ),
        ));
    }
    let lit = &arg.value;
    errors.ok(lit.base10_parse::<u16>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            "`max_redeliveries` must be an integer from 0 (no guard) to 65535",
        )
    }))
}

/// `dead_letter = "parking"`: a queue name of its own. One of the route's queues (or their
/// retry queues) would send a failed message straight back to the handler, forever.
fn dead_letter_arg(lit: &LitStr, queues: &AmqpQueues) -> syn::Result<LitStr> {
    let name = lit.value();
    let error = |message: String| Err(syn::Error::new(lit.span(), message));
    if name.is_empty() {
        return error("`dead_letter` must not be empty".to_owned());
    }
    if name.len() > MAX_QUEUE_NAME_BYTES {
        return error("`dead_letter` is longer than 255 bytes (AMQP short string)".to_owned());
    }
    queues::not_a_route_queue(lit, queues)?;
    for queue in queues.names.iter().map(LitStr::value) {
        let tier = name
            .strip_prefix(queue.as_str())
            .and_then(|rest| rest.strip_prefix(RETRY_SUFFIX))
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(is_tier_name);
        if name.strip_suffix(RETRY_SUFFIX) == Some(queue.as_str()) || tier {
            return error(format!(
                "`dead_letter` must not be `{name}`, the retry queue of `{queue}`: a failed \
                 message would come back to this handler, in a loop"
            ));
        }
    }
    Ok(lit.clone())
}

/// Whether `s` names a retry tier as the runtime does: digits and a unit (`30s`, `1500ms`).
fn is_tier_name(s: &str) -> bool {
    let unit = s.trim_start_matches(|c: char| c.is_ascii_digit());
    unit.len() < s.len() && ["ms", "s", "m", "h"].contains(&unit)
}

/// `queue_type = "classic" | "quorum"`, for the queues `declare = true` creates.
fn queue_type_arg(
    args: &RouteArgs,
    declare: Option<bool>,
    errors: &mut Errors,
) -> Option<QueueType> {
    let arg = args.queue_type.as_ref()?;
    // A `declare` that did not parse was reported already.
    if declare == Some(false) || (declare.is_none() && !args.given("declare")) {
        errors.push(syn::Error::new(
            arg.key.span,
            "`queue_type` only applies to queues this route declares; add `declare = true`",
        ));
    }
    let lit = &arg.value;
    errors.ok(match lit.value().as_str() {
        "classic" => Ok(QueueType::Classic),
        "quorum" => Ok(QueueType::Quorum),
        other => Err(syn::Error::new(
            lit.span(),
            format!(
                "unknown queue type `{other}` for `queue_type`: expected \"classic\" or \"quorum\""
            ),
        )),
    })
}

fn non_empty(key: &str, lit: &LitStr) -> syn::Result<LitStr> {
    if lit.value().is_empty() {
        Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must not be empty"),
        ))
    } else {
        Ok(lit.clone())
    }
}

/// What the macro can tell about the handler's signature without types: the messages come last,
/// so there must be at least one argument. The rest is checked at each type by the expansion.
pub(crate) fn check_handler(func: &ItemFn, errors: &mut Errors) {
    item::needs_last_argument(
        func,
        "an AMQP handler takes the messages as its last argument: `messages: Vec<Message<T>>`",
        errors,
    );
}

/// The runtime items an AMQP route is registered with.
const RUNTIME: consumer::Runtime = consumer::Runtime {
    def: AMQP_ROUTE_DEF,
    factory_type: AMQP_FACTORY_TYPE,
    factory: AMQP_FACTORY,
    typed: AMQP_TYPED,
    factory_with: AMQP_FACTORY_WITH,
    assert_messages: ASSERT_MESSAGES,
    wrapper: "Message",
};

/// What an AMQP route adds to its registration.
pub(crate) fn handler(route: &AmqpRoute, func: &ItemFn) -> Handler {
    let consumer = Consumer {
        queues: &route.queues,
        bulk_size: route.bulk_size,
        codec: route.codec.as_ref(),
        error_handler: route.error_handler.as_ref(),
        options: options(route),
    };
    consumer::handler(&RUNTIME, consumer, func)
}

fn options(route: &AmqpRoute) -> TokenStream {
    Options::new()
        .some("vhost", route.vhost.as_ref())
        .some("connection", route.connection.as_ref())
        .set("bulk_size", Some(route.bulk_size))
        .set("bulk_flush_ms", route.bulk_flush_ms)
        .some("prefetch", route.prefetch)
        .set("concurrency", route.concurrency)
        .with(|options| route.actions.emit(options))
        .some("timeout_ms", route.timeout_ms)
        .with(|options| route.retry.emit(options))
        .some("max_redeliveries", route.max_redeliveries)
        .some("dead_letter", route.dead_letter.as_ref())
        .set("declare", route.declare)
        .set("queue_type", route.queue_type)
        .set("topology", route.topology.field())
        .finish(AMQP_OPTIONS)
}
