//! `#[route(every = "...")]` and `#[route(cron = "...")]`: validation and emission of
//! scheduled routes.

#[cfg(feature = "schedule")]
use std::str::FromStr;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, LitStr};

use super::args::RouteArgs;
use super::emit::{Handler, Options, signature_checks};
use crate::duration;
use crate::errors::Errors;
use crate::parse::count_u16;
use crate::paths::{
    ASSERT_HANDLER_RETURN, ASSERT_SCHEDULE_ARG, SCHEDULE_FACTORY, SCHEDULE_FACTORY_TYPE,
    SCHEDULE_OPTIONS, SCHEDULE_ROUTE_DEF, TRIGGER,
};

/// When the route runs.
#[derive(Debug)]
pub(crate) enum Trigger {
    Every(u64),
    Cron(LitStr),
}

/// A validated scheduled route. `None` fields keep the runtime default.
#[derive(Debug)]
pub(crate) struct ScheduleRoute {
    pub(crate) trigger: Trigger,
    pub(crate) max_concurrency: Option<u16>,
    pub(crate) immediately: Option<bool>,
    pub(crate) timeout_ms: Option<u64>,
}

/// `every = "30s"`: a positive duration.
pub(crate) fn validate_every(
    args: &RouteArgs,
    every: &LitStr,
    errors: &mut Errors,
) -> Option<ScheduleRoute> {
    let ms = errors.ok(duration::millis("every", every));
    let route = options(args, errors, Trigger::Every(ms.unwrap_or(1)));
    ms.map(|_| route)
}

/// `cron = "0 */5 * * * *"`: seconds first, UTC, parsed by the `cron` crate.
pub(crate) fn validate_cron(
    args: &RouteArgs,
    cron: &LitStr,
    errors: &mut Errors,
) -> Option<ScheduleRoute> {
    let ok = match cron_error(&cron.value()) {
        None => true,
        Some(e) => {
            errors.push(syn::Error::new(
                cron.span(),
                format!(
                    "invalid cron expression:\n{}\nfields: second minute hour day-of-month month day-of-week [year], in UTC; e.g. \"0 */5 * * * *\"",
                    e.trim_end()
                ),
            ));
            false
        }
    };
    let route = options(args, errors, Trigger::Cron(cron.clone()));
    ok.then_some(route)
}

/// Why `expr` is not a valid cron expression, as the runtime's parser says.
#[cfg(feature = "schedule")]
fn cron_error(expr: &str) -> Option<String> {
    ::cron::Schedule::from_str(expr)
        .err()
        .map(|e| e.to_string())
}

/// Without the schedule backend there is no parser to ask, and no need: the route's gate
/// refuses it with the feature to enable.
#[cfg(not(feature = "schedule"))]
fn cron_error(_expr: &str) -> Option<String> {
    None
}

fn options(args: &RouteArgs, errors: &mut Errors, trigger: Trigger) -> ScheduleRoute {
    let max_concurrency = args
        .max_concurrency
        .as_ref()
        .and_then(|a| errors.ok(count_u16("max_concurrency", &a.value, "")));
    let timeout_ms = args
        .timeout
        .as_ref()
        .and_then(|a| errors.ok(duration::millis("timeout", &a.value)));
    ScheduleRoute {
        trigger,
        max_concurrency,
        immediately: args.immediately.as_ref().map(|a| a.value.value),
        timeout_ms,
    }
}

/// Nothing to check on the shape alone: every argument is an extractor, checked by type.
pub(crate) fn check_handler(_func: &ItemFn, _errors: &mut Errors) {}

/// What a scheduled route adds to its registration.
pub(crate) fn handler(route: &ScheduleRoute, func: &ItemFn) -> Handler {
    let trigger = match &route.trigger {
        Trigger::Every(ms) => quote!(#TRIGGER::Every(#ms)),
        Trigger::Cron(expr) => quote!(#TRIGGER::Cron(#expr)),
    };
    let options = Options::new()
        .set("max_concurrency", route.max_concurrency)
        .set("immediately", route.immediately)
        .some("timeout_ms", route.timeout_ms)
        .finish(SCHEDULE_OPTIONS);
    Handler {
        def: SCHEDULE_ROUTE_DEF,
        factory_type: SCHEDULE_FACTORY_TYPE,
        factory: SCHEDULE_FACTORY,
        factory_generics: Some(quote!(_, _)),
        // Every argument is an extractor, each checked at its type.
        checks: signature_checks(func, ASSERT_SCHEDULE_ARG, None, ASSERT_HANDLER_RETURN),
        items: TokenStream::new(),
        fields: quote! {
            trigger: #trigger,
            options: #options,
        },
    }
}
