//! `#[route(http = [...])]`: validation and emission of HTTP routes.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, Type};

use super::args::RouteArgs;
use super::emit::{Handler, argument_types, assert_type, signature_checks};
use crate::errors::Errors;
use crate::item;
use crate::parse::StrList;
use crate::paths::{
    ASSERT_HTTP_EXTRACTOR, ASSERT_HTTP_LAST_ARG, ASSERT_HTTP_RETURN, HTTP_FACTORY,
    HTTP_FACTORY_TYPE, HTTP_ROUTE_DEF, HTTP_ROUTE_LAYERS, NO_HTTP_LAYERS, PROBE_OTHER, PROBE_STATE,
    STATE_NEEDS, STATE_PROBE,
};

/// The methods a route may list, as axum's `MethodFilter` knows them.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// A validated HTTP route.
pub(crate) struct HttpRoute {
    paths: Vec<LitStr>,
    methods: Vec<String>,
    /// `layers = path::to::fn`, if given.
    layers: Option<syn::Path>,
}

pub(crate) fn validate(
    args: &RouteArgs,
    paths: &StrList,
    errors: &mut Errors,
) -> Option<HttpRoute> {
    if paths.items.is_empty() {
        errors.push(syn::Error::new(
            paths.bracket.span.join(),
            "`http` needs at least one path: `http = [\"/\"]`",
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    for lit in &paths.items {
        let path = lit.value();
        if let Err(message) = check_path(&path) {
            errors.push(syn::Error::new(lit.span(), message));
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

    let mut methods: Vec<String> = Vec::new();
    match &args.methods {
        None => methods.push("GET".to_owned()),
        Some(arg) => {
            if arg.value.items.is_empty() {
                errors.push(syn::Error::new(
                    arg.value.bracket.span.join(),
                    "`methods` needs at least one method: `methods = [\"GET\", \"POST\"]`",
                ));
            }
            for lit in &arg.value.items {
                let name = lit.value();
                let upper = name.to_ascii_uppercase();
                if !METHODS.contains(&upper.as_str()) {
                    errors.push(syn::Error::new(
                        lit.span(),
                        format!(
                            "unknown HTTP method `{name}`: expected one of {}",
                            METHODS.join(", ")
                        ),
                    ));
                } else if upper != name {
                    errors.push(syn::Error::new(
                        lit.span(),
                        format!("HTTP methods are written in upper case: `\"{upper}\"`"),
                    ));
                } else if methods.contains(&upper) {
                    errors.push(syn::Error::new(
                        lit.span(),
                        format!("method `{upper}` is listed twice"),
                    ));
                } else {
                    methods.push(upper);
                }
            }
        }
    }
    Some(HttpRoute {
        paths: paths.items.iter().cloned().collect(),
        methods,
        layers: args.layers.as_ref().map(|a| a.value.0.clone()),
    })
}

/// Checks one path against axum 0.8's syntax: a leading `/`, parameters as whole `{name}`
/// or `{*rest}` segments with distinct names, no query or fragment.
fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!(
            "HTTP path `{path}` must start with `/`: `/{}`",
            path.trim_start_matches('/')
        ));
    }
    if path.contains(char::is_whitespace) || path.contains(char::is_control) {
        return Err(format!(
            "HTTP path `{path}` must not contain whitespace or control characters"
        ));
    }
    if path.contains(['?', '#']) {
        return Err(format!(
            "HTTP path `{path}` must not contain a query or fragment (`?`, `#`); read the query with the `Query<T>` extractor"
        ));
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    if segments
        .iter()
        .any(|s| (s.starts_with(':') || s.starts_with('*')) && s.len() > 1)
    {
        let fixed: Vec<String> = segments
            .iter()
            .map(|s| match (s.strip_prefix(':'), s.strip_prefix('*')) {
                (Some(name), _) if !name.is_empty() => format!("{{{name}}}"),
                (_, Some(name)) if !name.is_empty() => format!("{{*{name}}}"),
                _ => (*s).to_owned(),
            })
            .collect();
        return Err(format!(
            "path parameters are written in braces since axum 0.8: `/{}`, not `{path}`",
            fixed.join("/")
        ));
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let mut rest = *segment;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!("unbalanced `}}` in HTTP path `{path}`"));
            }
            let after = &rest[open + 1..];
            let Some(close) = after
                .find(['{', '}'])
                .filter(|&c| after[c..].starts_with('}'))
            else {
                return Err(format!("unbalanced `{{` in HTTP path `{path}`"));
            };
            let inner = &after[..close];
            let (wildcard, name) = match inner.strip_prefix('*') {
                Some(name) => (true, name),
                None => (false, inner),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "path parameter `{{{inner}}}` in `{path}` needs a name of letters, digits and `_`"
                ));
            }
            if wildcard && (i + 1 != segments.len() || *segment != format!("{{{inner}}}")) {
                return Err(format!(
                    "the catch-all parameter `{{{inner}}}` must be the whole last segment of `{path}`"
                ));
            }
            if names.contains(&name) {
                return Err(format!("path parameter `{name}` appears twice in `{path}`"));
            }
            names.push(name);
            rest = &after[close + 1..];
        }
    }
    Ok(())
}

/// Nothing to check from tokens alone: a handler may take no argument at all, and everything
/// else is a matter of types, checked by `check_signature`.
pub(crate) fn check_handler(func: &ItemFn, errors: &mut Errors) {
    let _ = (func, errors);
}

/// One assertion per part of the signature, each spanned at the user's type, so a wrong
/// argument or return type is reported there with a targeted message.
fn check_signature(func: &ItemFn) -> TokenStream {
    let last = |ty: &Type| assert_type(ASSERT_HTTP_LAST_ARG, ty, quote_spanned!(ty.span()=> , _));
    signature_checks(func, ASSERT_HTTP_EXTRACTOR, Some(&last), ASSERT_HTTP_RETURN)
}

/// `__asyncworker_required_state`: the state each argument needs, found by method resolution
/// on a probe (so missing state is reported at startup rather than on the first request).
fn required_state(func: &ItemFn) -> TokenStream {
    let probes: Vec<TokenStream> = argument_types(func)
        .into_iter()
        .filter(|ty| item::nameable(ty))
        .map(|ty| quote!((&#STATE_PROBE::<#ty>::NEW).required_state(__needs);))
        .collect();
    // Method-call syntax picks the probe, so the traits must be in scope (when used at all).
    let probe_traits =
        (!probes.is_empty()).then(|| quote!(use #PROBE_OTHER as _; use #PROBE_STATE as _;));
    quote! {
        fn __asyncworker_required_state(__needs: &mut #STATE_NEEDS) {
            #probe_traits
            #(#probes)*
        }
    }
}

/// What an HTTP route adds to its registration.
pub(crate) fn handler(route: &HttpRoute, func: &ItemFn) -> Handler {
    let paths = &route.paths;
    // At the user's path, so that a function of the wrong type is reported there.
    let layers = match &route.layers {
        Some(path) => {
            let with = HTTP_ROUTE_LAYERS.at(path.span());
            quote_spanned!(path.span()=> #with(#path))
        }
        None => quote!(#NO_HTTP_LAYERS),
    };
    let methods = route
        .methods
        .iter()
        .map(|m| LitStr::new(m, Span::call_site()));
    Handler {
        def: HTTP_ROUTE_DEF,
        factory_type: HTTP_FACTORY_TYPE,
        factory: HTTP_FACTORY,
        factory_generics: None,
        checks: check_signature(func),
        error_handler: None,
        items: {
            let required_state = required_state(func);
            let describe = super::http_describe::describe(func);
            quote!(#required_state #describe)
        },
        fields: quote! {
            paths: &[#(#paths),*],
            methods: &[#(#methods),*],
            layers: #layers,
            required_state: __asyncworker_required_state,
            describe: __asyncworker_describe,
        },
    }
}
