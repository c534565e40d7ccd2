//! `#[route(sqs = [...])]`: Amazon SQS queues, each by name or URL; option checks and the
//! emitted registration. The limits are SQS's own: queue names, the long-poll wait of
//! ReceiveMessage, and visibility timeouts, which SQS counts in whole seconds.

use proc_macro2::TokenStream;
use syn::{ItemFn, LitStr};

use super::args::{Queues, RouteArgs, kw};
use super::consumer::{self, Consumer};
use super::emit::{Handler, Options};
use super::queues;
use super::retry::{self, Retry};
use super::settle::{self, Actions};
use crate::duration;
use crate::errors::Errors;
use crate::item;
use crate::parse::count_u16;
use crate::paths::{
    ASSERT_SQS_MESSAGES, SQS_FACTORY, SQS_FACTORY_TYPE, SQS_FACTORY_WITH, SQS_OPTIONS,
    SQS_ROUTE_DEF, SQS_TYPED,
};

/// The queue list of an SQS route.
pub(crate) type SqsQueues = Queues<kw::sqs>;

/// SQS limits a queue name to 80 characters, the `.fifo` suffix included.
const MAX_QUEUE_NAME: usize = 80;

/// The suffix SQS requires of a FIFO queue's name.
const FIFO_SUFFIX: &str = ".fifo";

/// The longest visibility timeout SQS accepts (ReceiveMessage, ChangeMessageVisibility): 12h.
const MAX_VISIBILITY_S: u64 = 43_200;

const WAIT_TIME_RULE: &str = "`wait_time` is whole seconds from 0s to 20s (SQS's long-poll limit)";

const VISIBILITY_RULE: &str = "`visibility_timeout` is whole seconds from 1s to 12h (43200s, the \
                               longest visibility timeout SQS accepts)";

/// A delayed retry makes the message visible again after the delay (ChangeMessageVisibility).
const RETRY_DELAY_RULE: &str = "`retry_delay` on an SQS route is whole seconds from 1s to 12h: \
                                SQS counts visibility in whole seconds, up to 43200s \
                                (ChangeMessageVisibility's limit)";

/// A validated SQS route. `None` fields were not set by the user and keep the runtime default.
#[derive(Debug, Default)]
pub(crate) struct SqsRoute {
    pub(crate) queues: Vec<LitStr>,
    pub(crate) bulk_size: u16,
    pub(crate) bulk_flush_ms: Option<u64>,
    pub(crate) concurrency: Option<u16>,
    pub(crate) actions: Actions,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) retry: Retry,
    pub(crate) dead_letter: Option<LitStr>,
    pub(crate) wait_time_s: Option<u8>,
    pub(crate) visibility_timeout_s: Option<u32>,
    pub(crate) error_handler: Option<syn::Path>,
    /// `codec = path`: the user's codec of the bodies.
    pub(crate) codec: Option<syn::Path>,
}

/// Checks the SQS-specific arguments, pushing every problem into `errors`.
pub(crate) fn validate(args: &RouteArgs, queues: &SqsQueues, errors: &mut Errors) -> SqsRoute {
    queues::check(queues, &queue_ref, errors);
    let bulk_size = args
        .bulk_size
        .as_ref()
        .and_then(|a| errors.ok(count_u16("bulk_size", &a.value, "")));
    let concurrency = args
        .concurrency
        .as_ref()
        .and_then(|a| errors.ok(count_u16("concurrency", &a.value, "")));
    let bulk_flush_ms = args
        .bulk_flush
        .as_ref()
        .and_then(|a| errors.ok(duration::millis("bulk_flush", &a.value)));
    let timeout_ms = args
        .timeout
        .as_ref()
        .and_then(|a| errors.ok(duration::millis("timeout", &a.value)));
    let wait_time_s = args.wait_time.as_ref().and_then(|a| {
        let seconds = duration::whole_seconds(&a.value, 0..=20, WAIT_TIME_RULE);
        // In range, checked by `whole_seconds`.
        errors
            .ok(seconds)
            .map(|s| u8::try_from(s).unwrap_or(u8::MAX))
    });
    let visibility_timeout_s = args.visibility_timeout.as_ref().and_then(|a| {
        let seconds = duration::whole_seconds(&a.value, 1..=MAX_VISIBILITY_S, VISIBILITY_RULE);
        errors
            .ok(seconds)
            .map(|s| u32::try_from(s).unwrap_or(u32::MAX))
    });
    SqsRoute {
        queues: queues.names.iter().cloned().collect(),
        // An invalid `bulk_size` was reported; 1 only keeps the expansion well-formed.
        bulk_size: bulk_size.unwrap_or(1),
        bulk_flush_ms,
        concurrency,
        actions: settle::validate(args, errors),
        timeout_ms,
        retry: retry::validate(args, &one_delay, errors),
        dead_letter: args
            .dead_letter
            .as_ref()
            .and_then(|a| errors.ok(dead_letter_arg(&a.value, queues))),
        wait_time_s,
        visibility_timeout_s,
        error_handler: args.error_handler.as_ref().map(|a| a.value.0.clone()),
        codec: args.codec.as_ref().map(|a| a.value.0.clone()),
    }
}

/// A queue as SQS knows it: its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`, or
/// `http://` for a local endpoint) or its name, resolved by the runtime in the worker's own
/// account and region.
fn queue_ref(lit: &LitStr) -> syn::Result<()> {
    let text = lit.value();
    let error = |message: String| Err(syn::Error::new(lit.span(), message));
    if text.is_empty() {
        return error("an SQS queue name must not be empty".to_owned());
    }
    if text.contains("://") {
        return if is_queue_url(&text) {
            Ok(())
        } else {
            error(format!(
                "`{text}` is not a queue URL: `http://` or `https://`, a host and a path, no \
                 whitespace, e.g. \"https://sqs.eu-west-1.amazonaws.com/123456789012/orders\""
            ))
        };
    }
    if text.len() > MAX_QUEUE_NAME {
        return error(format!(
            "an SQS queue name is at most {MAX_QUEUE_NAME} characters, `{FIFO_SUFFIX}` included"
        ));
    }
    if !is_queue_name(&text) {
        return error(format!(
            "`{text}` is not an SQS queue name: ASCII letters, digits, `-` and `_`, optionally \
             ending in `{FIFO_SUFFIX}` (or give the queue's URL)"
        ));
    }
    Ok(())
}

/// At most 80 letters, digits, `-` and `_`, with an optional `.fifo` after at least one.
fn is_queue_name(text: &str) -> bool {
    let base = text.strip_suffix(FIFO_SUFFIX).unwrap_or(text);
    text.len() <= MAX_QUEUE_NAME
        && !base.is_empty()
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `http(s)://host/path`, the path more than `/`, no whitespace anywhere.
fn is_queue_url(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    !host.is_empty() && !path.is_empty() && !text.chars().any(char::is_whitespace)
}

/// `dead_letter = "orders-dlq"`: a queue by the same rules as the route's own, and none of them
/// (compared as written: a name and a URL of one queue are not matched).
fn dead_letter_arg(lit: &LitStr, queues: &SqsQueues) -> syn::Result<LitStr> {
    queue_ref(lit)?;
    queues::not_a_route_queue(lit, queues)?;
    Ok(lit.clone())
}

/// One retry delay, in milliseconds as every backend's options carry it.
fn one_delay(lit: &LitStr) -> syn::Result<u64> {
    duration::whole_seconds(lit, 1..=MAX_VISIBILITY_S, RETRY_DELAY_RULE).map(|s| s * 1_000)
}

/// The messages come last, so there must be at least one argument. The rest is checked at each
/// type by the expansion.
pub(crate) fn check_handler(func: &ItemFn, errors: &mut Errors) {
    item::needs_last_argument(
        func,
        "an SQS handler takes the messages as its last argument: \
         `messages: Vec<SqsMessage<T>>`",
        errors,
    );
}

/// The runtime items an SQS route is registered with.
const RUNTIME: consumer::Runtime = consumer::Runtime {
    def: SQS_ROUTE_DEF,
    factory_type: SQS_FACTORY_TYPE,
    factory: SQS_FACTORY,
    typed: SQS_TYPED,
    factory_with: SQS_FACTORY_WITH,
    assert_messages: ASSERT_SQS_MESSAGES,
    wrapper: "SqsMessage",
};

/// What an SQS route adds to its registration.
pub(crate) fn handler(route: &SqsRoute, func: &ItemFn) -> Handler {
    let consumer = Consumer {
        queues: &route.queues,
        bulk_size: route.bulk_size,
        codec: route.codec.as_ref(),
        error_handler: route.error_handler.as_ref(),
        options: options(route),
    };
    consumer::handler(&RUNTIME, consumer, func)
}

/// The options written; `bulk_size` always, since the factory's bulk size is generic and the
/// two must agree.
fn options(route: &SqsRoute) -> TokenStream {
    Options::new()
        .set("bulk_size", Some(route.bulk_size))
        .set("bulk_flush_ms", route.bulk_flush_ms)
        .set("concurrency", route.concurrency)
        .with(|options| route.actions.emit(options))
        .some("timeout_ms", route.timeout_ms)
        .with(|options| route.retry.emit(options))
        .some("dead_letter", route.dead_letter.as_ref())
        .set("wait_time_s", route.wait_time_s)
        .set("visibility_timeout_s", route.visibility_timeout_s)
        .finish(SQS_OPTIONS)
}
