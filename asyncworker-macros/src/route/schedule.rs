//! `#[route(every = "...")]` and `#[route(cron = "...")]`: validation and emission of
//! scheduled routes.

use std::str::FromStr;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::{ItemFn, LitStr};

use super::args::{RouteArgs, count_u16};
use crate::duration;
use crate::errors::Errors;
use crate::item;

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
    let ok = match ::cron::Schedule::from_str(&cron.value()) {
        Ok(_) => true,
        Err(e) => {
            errors.push(syn::Error::new(
                cron.span(),
                format!(
                    "invalid cron expression:\n{}\nfields: second minute hour day-of-month month day-of-week [year], in UTC; e.g. \"0 */5 * * * *\"",
                    e.to_string().trim_end()
                ),
            ));
            false
        }
    };
    let route = options(args, errors, Trigger::Cron(cron.clone()));
    ok.then_some(route)
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

/// One assertion per part of the signature, each spanned at the user's type.
fn check_signature(func: &ItemFn) -> TokenStream {
    super::emit::signature_checks(func, "assert_schedule_arg", None, "assert_handler_return")
}

/// The `const _: () = { ... };` block registering `func` as a scheduled route named `name`.
pub(crate) fn emit(route: &ScheduleRoute, name: &str, func: &ItemFn) -> TokenStream {
    let span = func.sig.ident.span();
    let ident = &item::target(func);
    let blocking_adapter = item::blocking_adapter(func);
    let check_signature = check_signature(func);
    let assert_send = super::emit::assert_send(func);
    let factory_call = quote_spanned! {span=>
        ::asyncworker::__private::schedule_factory::<_, _>(#ident)
    };
    let line = quote_spanned!(span=> ::core::line!());
    let trigger = match &route.trigger {
        Trigger::Every(ms) => {
            let ms = Literal::u64_suffixed(*ms);
            quote!(::asyncworker::__private::Trigger::Every(#ms))
        }
        Trigger::Cron(expr) => quote!(::asyncworker::__private::Trigger::Cron(#expr)),
    };
    let options = emit_options(route);
    let name = LitStr::new(name, Span::call_site());
    super::emit::registration(quote! {
        #check_signature
        #blocking_adapter
        #assert_send
        fn __asyncworker_factory() -> ::asyncworker::__private::ScheduleFactory {
            #factory_call
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::ScheduleRouteDef {
                name: #name,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: #line,
                trigger: #trigger,
                options: #options,
                factory: __asyncworker_factory,
            }
        }
    })
}

fn emit_options(route: &ScheduleRoute) -> TokenStream {
    let mut fields = Vec::new();
    if let Some(n) = route.max_concurrency {
        let n = Literal::u16_suffixed(n);
        fields.push(quote!(max_concurrency: #n));
    }
    if let Some(b) = route.immediately {
        fields.push(quote!(immediately: #b));
    }
    if let Some(ms) = route.timeout_ms {
        let value = Literal::u64_suffixed(ms).into_token_stream();
        fields.push(quote!(timeout_ms: ::core::option::Option::Some(#value)));
    }
    quote! {
        ::asyncworker::__private::ScheduleOptions {
            #(#fields,)*
            ..::asyncworker::__private::ScheduleOptions::DEFAULT
        }
    }
}
