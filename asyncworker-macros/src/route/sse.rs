//! `#[route(sse = [...])]`: validation and emission of SSE routes.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, Type};

use super::args::{RouteArgs, StrList, count_u16};
use crate::duration;
use crate::errors::Errors;
use crate::item;

/// A validated SSE route. `None` fields keep the runtime default.
#[derive(Debug, Default)]
pub(crate) struct SseRoute {
    pub(crate) paths: Vec<LitStr>,
    pub(crate) url: Option<LitStr>,
    pub(crate) headers: Vec<LitStr>,
    pub(crate) bulk_size: Option<u16>,
    pub(crate) bulk_flush_ms: Option<u64>,
    pub(crate) concurrency: Option<u16>,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) idle_timeout_ms: Option<u64>,
    pub(crate) max_event_size: Option<u64>,
}

pub(crate) fn validate(args: &RouteArgs, paths: &StrList, errors: &mut Errors) -> Option<SseRoute> {
    check_paths(paths, errors);
    let url = args
        .url
        .as_ref()
        .and_then(|a| errors.ok(check_url(&a.value)));
    let headers = match &args.headers {
        Some(a) => a
            .value
            .items
            .iter()
            .filter_map(|h| errors.ok(check_header(h)))
            .collect(),
        None => Vec::new(),
    };
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
    let idle_timeout_ms = args
        .idle_timeout
        .as_ref()
        .and_then(|a| errors.ok(duration::millis("idle_timeout", &a.value)));
    let max_event_size = args.max_event_size.as_ref().and_then(|a| {
        let lit = &a.value;
        let value = lit.base10_parse::<i128>().unwrap_or(i128::MAX);
        errors.ok(if value < 1 {
            Err(syn::Error::new(
                lit.span(),
                "`max_event_size` must be at least 1 (bytes)",
            ))
        } else {
            u64::try_from(value).map_err(|_| {
                syn::Error::new(lit.span(), "`max_event_size` must fit in a u64 (bytes)")
            })
        })
    });
    Some(SseRoute {
        paths: paths.items.iter().cloned().collect(),
        url,
        headers,
        bulk_size,
        bulk_flush_ms,
        concurrency,
        timeout_ms,
        idle_timeout_ms,
        max_event_size,
    })
}

fn check_paths(paths: &StrList, errors: &mut Errors) {
    if paths.items.is_empty() {
        errors.push(syn::Error::new(
            paths.bracket.span.join(),
            "`sse` needs at least one path: `sse = [\"/v2/events\"]`",
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for lit in &paths.items {
        let path = lit.value();
        if !path.starts_with('/') {
            errors.push(syn::Error::new(
                lit.span(),
                "an SSE path starts with `/` (the server's address goes in `url`)",
            ));
        } else if path.chars().any(|c| c.is_whitespace() || c == '#') {
            errors.push(syn::Error::new(
                lit.span(),
                "an SSE path must not contain whitespace or `#`",
            ));
        }
        if seen.contains(&path) {
            errors.push(syn::Error::new(
                lit.span(),
                format!("path `{path}` is listed twice"),
            ));
        } else {
            seen.push(path);
        }
    }
}

/// `http://host[:port][/prefix]`: the paths are appended to it.
fn check_url(lit: &LitStr) -> syn::Result<LitStr> {
    let url = lit.value();
    if url.starts_with("https://") {
        return Err(syn::Error::new(
            lit.span(),
            "`https` SSE URLs are not supported yet (this build of asyncworker has no TLS); use `http://`",
        ));
    }
    let host = url
        .strip_prefix("http://")
        .map(|rest| rest.split('/').next().unwrap_or(""));
    match host {
        Some(host)
            if !host.is_empty()
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || c == '?' || c == '#') =>
        {
            Ok(lit.clone())
        }
        _ => Err(syn::Error::new(
            lit.span(),
            "`url` must be an absolute http:// URL without query, e.g. \"http://127.0.0.1:8080\"",
        )),
    }
}

/// `"Name: value"`, where the value may contain `${VAR}` (replaced by the environment variable
/// when the worker starts) and `$$` (a literal `$`).
fn check_header(lit: &LitStr) -> syn::Result<LitStr> {
    let text = lit.value();
    let err = |msg: String| Err(syn::Error::new(lit.span(), msg));
    let Some((name, value)) = text.split_once(':') else {
        return err(format!(
            "a header is `\"Name: value\"`, e.g. `\"Authorization: Bearer ${{TOKEN}}\"`; `{text}` has no `:`"
        ));
    };
    let name = name.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return err(format!("`{name}` is not a valid header name"));
    }
    if name.eq_ignore_ascii_case("last-event-id") {
        return err(
            "`Last-Event-ID` is sent by asyncworker itself when it resumes a stream".to_owned(),
        );
    }
    if value.chars().any(|c| c == '\r' || c == '\n') {
        return err("a header value must not contain line breaks".to_owned());
    }
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                return err("`${` is not closed by `}`; write `$$` for a literal `$`".to_owned());
            };
            let var = &body[..end];
            let valid = var
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return err(format!(
                    "`${{{var}}}`: an environment variable name is letters, digits and `_`, not starting with a digit"
                ));
            }
            rest = &body[end + 1..];
        } else {
            rest = after;
        }
    }
    Ok(lit.clone())
}

/// The events come last, so there must be at least one argument.
pub(crate) fn check_handler(func: &ItemFn, errors: &mut Errors) {
    if func.sig.inputs.is_empty() {
        errors.push(syn::Error::new(
            func.sig.paren_token.span.join(),
            "an SSE handler takes the events as its last argument: `events: Vec<Event<T>>`",
        ));
    }
}

/// One assertion per part of the signature, each spanned at the user's type.
fn check_signature(func: &ItemFn) -> TokenStream {
    let events = |ty: &Type| {
        quote_spanned! {ty.span()=>
            ::asyncworker::__private::assert_events::<#ty>();
        }
    };
    super::emit::signature_checks(
        func,
        "assert_extractor",
        Some(&events),
        "assert_handler_return",
    )
}

/// The `const _: () = { ... };` block registering `func` as an SSE route named `name`.
pub(crate) fn emit(route: &SseRoute, name: &str, func: &ItemFn) -> TokenStream {
    let span = func.sig.ident.span();
    let ident = &item::target(func);
    let blocking_adapter = item::blocking_adapter(func);
    let check_signature = check_signature(func);
    let assert_send = super::emit::assert_send(func);
    let factory_call = quote_spanned! {span=>
        ::asyncworker::__private::sse_factory::<_, _>(#ident)
    };
    let line = quote_spanned!(span=> ::core::line!());
    let options = options(route);
    let paths = &route.paths;
    let name = LitStr::new(name, Span::call_site());
    super::emit::registration(quote! {
        #check_signature
        #blocking_adapter
        #assert_send
        fn __asyncworker_factory() -> ::asyncworker::__private::SseFactory {
            #factory_call
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::SseRouteDef {
                name: #name,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: #line,
                paths: &[#(#paths),*],
                options: #options,
                factory: __asyncworker_factory,
            }
        }
    })
}

fn options(route: &SseRoute) -> TokenStream {
    let some = |value: TokenStream| quote!(::core::option::Option::Some(#value));
    let mut fields = Vec::new();
    if let Some(url) = &route.url {
        let value = some(quote!(#url));
        fields.push(quote!(url: #value));
    }
    if !route.headers.is_empty() {
        let headers = &route.headers;
        fields.push(quote!(headers: &[#(#headers),*]));
    }
    if let Some(n) = route.bulk_size {
        let n = Literal::u16_suffixed(n);
        fields.push(quote!(bulk_size: #n));
    }
    if let Some(ms) = route.bulk_flush_ms {
        let ms = Literal::u64_suffixed(ms);
        fields.push(quote!(bulk_flush_ms: #ms));
    }
    if let Some(n) = route.concurrency {
        let n = Literal::u16_suffixed(n);
        fields.push(quote!(concurrency: #n));
    }
    if let Some(ms) = route.timeout_ms {
        let value = some(Literal::u64_suffixed(ms).into_token_stream());
        fields.push(quote!(timeout_ms: #value));
    }
    if let Some(ms) = route.idle_timeout_ms {
        let ms = Literal::u64_suffixed(ms);
        fields.push(quote!(idle_timeout_ms: #ms));
    }
    if let Some(n) = route.max_event_size {
        let n = Literal::u64_suffixed(n);
        fields.push(quote!(max_event_size: #n));
    }
    quote! {
        ::asyncworker::__private::SseOptions {
            #(#fields,)*
            ..::asyncworker::__private::SseOptions::DEFAULT
        }
    }
}
