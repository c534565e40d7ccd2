//! `#[route(amqp = [...])]`: option checks and the emitted registration.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitInt, LitStr, ReturnType, Type};

use super::args::{Arg, Queues, RouteArgs};
use crate::duration;
use crate::errors::Errors;
use crate::item;

/// AMQP short strings carry a one-byte length.
const MAX_QUEUE_NAME_BYTES: usize = 255;

/// What a message is settled with; mirrors the runtime's `__private::Action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Ack,
    Reject,
    Requeue,
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
    pub(crate) on_success: Option<Action>,
    pub(crate) on_exception: Option<Action>,
    pub(crate) on_decode_error: Option<Action>,
    pub(crate) timeout_ms: Option<u64>,
}

/// Checks the AMQP-specific arguments, pushing every problem into `errors`.
pub(crate) fn validate(args: &RouteArgs, queues: &Queues, errors: &mut Errors) -> AmqpRoute {
    check_queues(queues, errors);
    check_unimplemented(args, errors);

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
        .map(|a| errors.ok(u16_arg("bulk_size", &a.value)));
    let prefetch = args
        .prefetch
        .as_ref()
        .and_then(|a| errors.ok(u16_arg("prefetch", &a.value)));
    let concurrency = args
        .concurrency
        .as_ref()
        .and_then(|a| errors.ok(u16_arg("concurrency", &a.value)));
    let bulk_flush_ms = args
        .bulk_flush
        .as_ref()
        .and_then(|a| errors.ok(duration::millis("bulk_flush", &a.value)));
    let timeout_ms = args
        .timeout
        .as_ref()
        .and_then(|a| errors.ok(duration::millis("timeout", &a.value)));
    let on_success = action_arg(args.on_success.as_ref(), "on_success", errors);
    let on_exception = action_arg(args.on_exception.as_ref(), "on_exception", errors);
    let on_decode_error = action_arg(args.on_decode_error.as_ref(), "on_decode_error", errors);

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

    AmqpRoute {
        queues: queues.names.iter().cloned().collect(),
        vhost,
        connection,
        bulk_size: bulk_size.flatten().unwrap_or(1),
        bulk_flush_ms,
        prefetch,
        concurrency,
        on_success,
        on_exception,
        on_decode_error,
        timeout_ms,
    }
}

fn check_queues(queues: &Queues, errors: &mut Errors) {
    if queues.names.is_empty() {
        errors.push(syn::Error::new(
            queues.bracket.span.join(),
            "`amqp` needs at least one queue",
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for lit in &queues.names {
        let name = lit.value();
        if name.is_empty() {
            errors.push(syn::Error::new(lit.span(), "queue name must not be empty"));
        } else if name.len() > MAX_QUEUE_NAME_BYTES {
            errors.push(syn::Error::new(
                lit.span(),
                "queue name is longer than 255 bytes (AMQP short string)",
            ));
        }
        if seen.contains(&name) {
            errors.push(syn::Error::new(
                lit.span(),
                format!("queue `{name}` is listed twice"),
            ));
        } else {
            seen.push(name);
        }
    }
}

/// These options parse, so the syntax is settled, but the runtime cannot honour them yet; an
/// accepted option that silently does nothing would be worse than an error.
fn check_unimplemented(args: &RouteArgs, errors: &mut Errors) {
    let spans = [
        ("retries", args.retries.as_ref().map(|a| a.key.span)),
        ("retry_delay", args.retry_delay.as_ref().map(|a| a.key.span)),
        ("dead_letter", args.dead_letter.as_ref().map(|a| a.key.span)),
        ("declare", args.declare.as_ref().map(|a| a.key.span)),
        ("queue_type", args.queue_type.as_ref().map(|a| a.key.span)),
    ];
    for (key, span) in spans {
        if let Some(span) = span {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`{key}` is not implemented yet: delayed retries, dead letters and declaring \
                     arrive with the publishing release; remove it for now"
                ),
            ));
        }
    }
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

/// `1..=65535`: counts that end up in AMQP's u16 prefetch.
fn u16_arg(key: &str, lit: &LitInt) -> syn::Result<u16> {
    // Digits too large even for i128 are just "too large"; negative digits are "too small".
    let value = lit.base10_parse::<i128>().unwrap_or(i128::MAX);
    if value < 1 {
        return Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must be at least 1"),
        ));
    }
    u16::try_from(value).map_err(|_| {
        syn::Error::new(
            lit.span(),
            format!("`{key}` must be at most 65535 (it must fit the u16 prefetch)"),
        )
    })
}

fn action_arg<K>(arg: Option<&Arg<K, LitStr>>, key: &str, errors: &mut Errors) -> Option<Action> {
    let lit = &arg?.value;
    errors.ok(match lit.value().as_str() {
        "ack" => Ok(Action::Ack),
        "reject" => Ok(Action::Reject),
        "requeue" => Ok(Action::Requeue),
        other => Err(syn::Error::new(
            lit.span(),
            format!(
                "unknown action `{other}` for `{key}`: expected \"ack\", \"reject\" or \"requeue\""
            ),
        )),
    })
}

/// What the macro can tell about the handler's signature without types: the messages come last,
/// so there must be at least one argument. Everything else is left to `check_signature`.
pub(crate) fn check_handler(func: &ItemFn, errors: &mut Errors) {
    if func.sig.inputs.is_empty() {
        errors.push(syn::Error::new(
            func.sig.paren_token.span.join(),
            "an AMQP handler takes the messages as its last argument: \
             `messages: Vec<Message<T>>`",
        ));
    }
}

/// One assertion per part of the signature, each spanned at the user's type, so a wrong
/// argument or return type is reported there, with the message of the trait it misses, before
/// the catch-all "not a valid AMQP handler" of the factory's bound.
fn check_signature(func: &ItemFn, bulk_size: &Literal) -> TokenStream {
    let types: Vec<&Type> = func
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(pat) => Some(&*pat.ty),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let mut checks = Vec::new();
    if let Some((messages, extractors)) = types.split_last() {
        for ty in extractors.iter().filter(|ty| item::nameable(ty)) {
            checks.push(quote_spanned! {ty.span()=>
                ::asyncworker::__private::assert_extractor::<#ty>();
            });
        }
        if item::nameable(messages) {
            let mut bulk_size = bulk_size.clone();
            bulk_size.set_span(messages.span());
            checks.push(quote_spanned! {messages.span()=>
                ::asyncworker::__private::assert_messages::<#messages, #bulk_size>();
            });
        }
    }
    if let ReturnType::Type(_, ty) = &func.sig.output
        && item::nameable(ty)
    {
        checks.push(quote_spanned! {ty.span()=>
            ::asyncworker::__private::assert_handler_return::<#ty>();
        });
    }
    quote! {
        fn __asyncworker_check_signature() {
            #(#checks)*
        }
    }
}

/// The `const _: () = { ... };` block registering `func` as an AMQP route named `name`.
pub(crate) fn emit(route: &AmqpRoute, name: &str, func: &ItemFn) -> TokenStream {
    let span = func.sig.ident.span();
    let ident = &item::target(func);
    let blocking_adapter = item::blocking_adapter(func);
    let bulk_size = Literal::u16_suffixed(route.bulk_size);
    let check_signature = check_signature(func, &bulk_size);

    let assert_send = super::emit::assert_send(func);
    let factory_call = quote_spanned! {span=>
        ::asyncworker::__private::amqp_factory::<#bulk_size, _, _>(#ident)
    };
    let line = quote_spanned!(span=> ::core::line!());

    let options = options(route);
    let queues = &route.queues;
    let name = LitStr::new(name, Span::call_site());
    super::emit::registration(quote! {
        #check_signature
        #blocking_adapter
        #assert_send
        fn __asyncworker_factory() -> ::asyncworker::__private::AmqpFactory {
            #factory_call
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::AmqpRouteDef {
                name: #name,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: #line,
                queues: &[#(#queues),*],
                options: #options,
                factory: __asyncworker_factory,
            }
        }
    })
}

fn options(route: &AmqpRoute) -> TokenStream {
    let some = |value: TokenStream| quote!(::core::option::Option::Some(#value));
    let mut fields = Vec::new();
    if let Some(vhost) = &route.vhost {
        let value = some(quote!(#vhost));
        fields.push(quote!(vhost: #value));
    }
    if let Some(connection) = &route.connection {
        let value = some(quote!(#connection));
        fields.push(quote!(connection: #value));
    }
    let bulk_size = Literal::u16_suffixed(route.bulk_size);
    fields.push(quote!(bulk_size: #bulk_size));
    if let Some(ms) = route.bulk_flush_ms {
        let ms = Literal::u64_suffixed(ms);
        fields.push(quote!(bulk_flush_ms: #ms));
    }
    if let Some(prefetch) = route.prefetch {
        let value = some(Literal::u16_suffixed(prefetch).into_token_stream());
        fields.push(quote!(prefetch: #value));
    }
    if let Some(concurrency) = route.concurrency {
        let concurrency = Literal::u16_suffixed(concurrency);
        fields.push(quote!(concurrency: #concurrency));
    }
    for (field, action) in [
        ("on_success", route.on_success),
        ("on_exception", route.on_exception),
        ("on_decode_error", route.on_decode_error),
    ] {
        if let Some(action) = action {
            let field = format_ident!("{}", field);
            let variant = format_ident!("{}", format!("{action:?}"));
            fields.push(quote!(#field: ::asyncworker::__private::Action::#variant));
        }
    }
    if let Some(ms) = route.timeout_ms {
        let value = some(Literal::u64_suffixed(ms).into_token_stream());
        fields.push(quote!(timeout_ms: #value));
    }
    quote! {
        ::asyncworker::__private::AmqpOptions {
            #(#fields,)*
            ..::asyncworker::__private::AmqpOptions::DEFAULT
        }
    }
}
