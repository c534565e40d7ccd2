//! `#[route(sse = [...])]`: validation and emission of SSE routes.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, LitStr, Type};

use super::args::RouteArgs;
use super::codec;
use super::emit::{Handler, Options, assert_type, signature_checks};
use crate::duration;
use crate::errors::Errors;
use crate::item;
use crate::parse::{StrList, count_u16};
use crate::paths::{
    ASSERT_EVENTS, ASSERT_EXTRACTOR, ASSERT_HANDLER_RETURN, SSE_FACTORY, SSE_FACTORY_TYPE,
    SSE_FACTORY_WITH, SSE_OPTIONS, SSE_ROUTE_DEF, SSE_TYPED,
};

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
    pub(crate) error_handler: Option<syn::Path>,
    /// `codec = path`: the user's codec of each event's data.
    pub(crate) codec: Option<syn::Path>,
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
        error_handler: args.error_handler.as_ref().map(|a| a.value.0.clone()),
        codec: args.codec.as_ref().map(|a| a.value.0.clone()),
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
    item::needs_last_argument(
        func,
        "an SSE handler takes the events as its last argument: `events: Vec<Event<T>>`",
        errors,
    );
}

/// One assertion per part of the signature, each spanned at the user's type.
fn check_signature(func: &ItemFn) -> TokenStream {
    let events = |ty: &Type| assert_type(ASSERT_EVENTS, ty, TokenStream::new());
    signature_checks(func, ASSERT_EXTRACTOR, Some(&events), ASSERT_HANDLER_RETURN)
}

/// What an SSE route adds to its registration.
pub(crate) fn handler(route: &SseRoute, func: &ItemFn) -> Handler {
    let paths = &route.paths;
    let options = options(route);
    let codec::Picked { codec, check } = codec::pick(func, "Event", route.codec.as_ref());
    let factory = match route.error_handler {
        Some(_) => SSE_TYPED,
        None => SSE_FACTORY,
    };
    Handler {
        def: SSE_ROUTE_DEF,
        factory_type: SSE_FACTORY_TYPE,
        factory,
        factory_generics: Some(quote!(#codec, _, _)),
        error_handler: route
            .error_handler
            .clone()
            .map(|path| (SSE_FACTORY_WITH, path)),
        checks: check_signature(func),
        items: check,
        fields: quote! {
            paths: &[#(#paths),*],
            options: #options,
            message: __asyncworker_message,
        },
    }
}

fn options(route: &SseRoute) -> TokenStream {
    let headers = &route.headers;
    Options::new()
        .some("url", route.url.as_ref())
        .set(
            "headers",
            (!headers.is_empty()).then(|| quote!(&[#(#headers),*])),
        )
        .set("bulk_size", route.bulk_size)
        .set("bulk_flush_ms", route.bulk_flush_ms)
        .set("concurrency", route.concurrency)
        .some("timeout_ms", route.timeout_ms)
        .set("idle_timeout_ms", route.idle_timeout_ms)
        .set("max_event_size", route.max_event_size)
        .finish(SSE_OPTIONS)
}
