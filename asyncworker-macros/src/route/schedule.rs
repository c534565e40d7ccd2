//! `#[route(every = "...")]` and `#[route(cron = "...")]`: validation and emission of
//! scheduled routes.

#[cfg(feature = "schedule")]
use std::str::FromStr;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, LitBool, LitStr};

use super::args::RouteArgs;
use super::emit::{Handler, Options, signature_checks};
use crate::duration;
use crate::errors::Errors;
use crate::parse::count_u16;
use crate::paths::{
    ASSERT_HANDLER_RETURN, ASSERT_SCHEDULE_ARG, SCHEDULE_FACTORY, SCHEDULE_FACTORY_TYPE,
    SCHEDULE_OPTIONS, SCHEDULE_ROUTE_DEF, SINGLETON_GATE, TRIGGER,
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
    /// `tz = "Europe/Berlin"` on a `cron` route: the zone its fields are read in.
    pub(crate) tz: Option<LitStr>,
    /// `singleton = true`: fires on one replica only (the lease holder); kept as written so
    /// that the gate on the `amqp` feature points at it.
    pub(crate) singleton: Option<LitBool>,
}

/// `every = "30s"`: a positive duration.
pub(crate) fn validate_every(
    args: &RouteArgs,
    every: &LitStr,
    errors: &mut Errors,
) -> Option<ScheduleRoute> {
    let ms = errors.ok(duration::millis("every", every));
    if let Some(tz) = &args.tz {
        errors.push(syn::Error::new(
            tz.key.span,
            "`tz` applies to `cron` routes only: `every` counts from the worker's start, in no time zone",
        ));
    }
    let route = options(args, errors, Trigger::Every(ms.unwrap_or(1)));
    ms.filter(|_| args.tz.is_none()).map(|_| route)
}

/// `cron = "*/5 * * * *"` (five fields, minutes first) or `"0 */5 * * * *"` (seconds first,
/// optionally a year), parsed by the `cron` crate as the runtime parses it; `tz` names the
/// IANA zone its fields are read in (UTC without it).
pub(crate) fn validate_cron(
    args: &RouteArgs,
    cron: &LitStr,
    errors: &mut Errors,
) -> Option<ScheduleRoute> {
    let mut ok = match cron_error(&with_seconds(&cron.value())) {
        None => true,
        Some(e) => {
            errors.push(syn::Error::new(
                cron.span(),
                format!("invalid cron expression:\n{}\n{CRON_FIELDS}", e.trim_end()),
            ));
            false
        }
    };
    if let Some(tz) = &args.tz
        && let Some(e) = tz_error(&tz.value.value())
    {
        errors.push(syn::Error::new(tz.value.span(), e));
        ok = false;
    }
    let route = options(args, errors, Trigger::Cron(cron.clone()));
    ok.then_some(route)
}

/// The forms a cron expression takes, for its error message.
pub(crate) const CRON_FIELDS: &str = "fields: minute hour day-of-month month day-of-week \
    (five, seconds = 0), or second minute hour day-of-month month day-of-week [year]; in UTC \
    unless `tz` is given; e.g. \"*/5 * * * *\" or \"30 */5 * * * *\"";

/// A five-field crontab expression with seconds = 0 in front; the runtime's `with_seconds`
/// (asyncworker's `schedule/crontab.rs`) is the same few lines, and a test there and one here
/// hold the same cases, since a proc-macro crate cannot share code with its runtime.
pub(crate) fn with_seconds(expr: &str) -> String {
    let expr = expr.trim();
    if expr.split_whitespace().count() == 5 {
        format!("0 {expr}")
    } else {
        expr.to_owned()
    }
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

/// Why `name` is not an IANA time zone the runtime knows, with the one probably meant: the
/// same name in other case (`europe/berlin`), a city's zone (`Berlin`), or a typo's
/// (`Europe/Berln`).
#[cfg(feature = "schedule")]
pub(crate) fn tz_error(name: &str) -> Option<String> {
    if name.parse::<chrono_tz::Tz>().is_ok() {
        return None;
    }
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    let city = |zone: &&str| zone.rsplit('/').next().unwrap_or(zone).to_lowercase();
    let wanted = name.replace(' ', "_").to_lowercase();
    let lower: Vec<String> = zones.iter().map(|z| z.to_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let meant = zones
        .iter()
        .find(|z| z.eq_ignore_ascii_case(name) || city(z) == wanted)
        .copied()
        .or_else(|| {
            let typo = crate::parse::closest(&wanted, &lower)?;
            lower.iter().position(|z| *z == typo).map(|i| zones[i])
        });
    let mut message = format!("unknown time zone `{name}`");
    match meant {
        Some(m) => message.push_str(&format!("; did you mean `{m}`?")),
        None => message.push_str("; use an IANA name such as \"Europe/Berlin\" or \"UTC\""),
    }
    Some(message)
}

/// Without the schedule backend the route's gate refuses the route anyway.
#[cfg(not(feature = "schedule"))]
fn tz_error(_name: &str) -> Option<String> {
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
    let singleton = args.singleton.as_ref().map(|a| a.value.clone());
    if let (Some(immediately), Some(true)) =
        (&args.immediately, singleton.as_ref().map(|s| s.value))
        && immediately.value.value
    {
        // Every replica starts at its own moment: a run "at start" has no instant the
        // replicas agree on, so the lease could not make it fire once.
        errors.push(syn::Error::new(
            immediately.key.span,
            "`immediately` cannot be combined with `singleton = true`: a singleton fires only at \
             the ticks every replica agrees on (multiples of the period, or the cron times)",
        ));
    }
    ScheduleRoute {
        trigger,
        max_concurrency,
        immediately: args.immediately.as_ref().map(|a| a.value.value),
        timeout_ms,
        tz: args.tz.as_ref().map(|a| a.value.clone()),
        singleton,
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
        .some("tz", route.tz.as_ref())
        .set("singleton", route.singleton.as_ref().map(|s| s.value))
        .finish(SCHEDULE_OPTIONS);
    // The lease lives on the broker: without the `amqp` backend a singleton is an error at
    // `singleton = true`.
    let items = match &route.singleton {
        Some(s) if s.value => {
            let gate = SINGLETON_GATE.at(s.span);
            quote::quote_spanned!(s.span=> #gate!{})
        }
        _ => TokenStream::new(),
    };
    Handler {
        def: SCHEDULE_ROUTE_DEF,
        factory_type: SCHEDULE_FACTORY_TYPE,
        factory: SCHEDULE_FACTORY,
        factory_generics: Some(quote!(_, _)),
        // Every argument is an extractor, each checked at its type.
        checks: signature_checks(func, ASSERT_SCHEDULE_ARG, None, ASSERT_HANDLER_RETURN),
        error_handler: None,
        items,
        fields: quote! {
            trigger: #trigger,
            options: #options,
        },
    }
}
