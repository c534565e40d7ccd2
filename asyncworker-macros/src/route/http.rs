//! `#[route(http = [...])]`: validation and emission of HTTP routes.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, Type};

use super::args::{RouteArgs, StrList};
use crate::errors::Errors;
use crate::item;

/// The methods a route may list, as axum's `MethodFilter` knows them.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// A validated HTTP route.
pub(crate) struct HttpRoute {
    paths: Vec<LitStr>,
    methods: Vec<String>,
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
    let last = |ty: &Type| {
        quote_spanned! {ty.span()=>
            ::asyncworker::__private::assert_http_last_arg::<#ty, _>();
        }
    };
    super::emit::signature_checks(
        func,
        "assert_http_extractor",
        Some(&last),
        "assert_http_return",
    )
}

/// The `const _: () = { ... };` block registering `func` as an HTTP route named `name`.
pub(crate) fn emit(route: &HttpRoute, name: &str, func: &ItemFn) -> TokenStream {
    let span = func.sig.ident.span();
    let ident = &item::target(func);
    let blocking_adapter = item::blocking_adapter(func);
    let check_signature = check_signature(func);
    let types = super::emit::argument_types(func);

    let assert_send = super::emit::assert_send(func);
    let probes: Vec<TokenStream> = types
        .iter()
        .filter(|ty| item::nameable(ty))
        .map(|ty| {
            quote! {
                (&::asyncworker::__private::StateProbe::<#ty>::NEW).required_state(__needs);
            }
        })
        .collect();
    // Method-call syntax picks the probe, so the traits must be in scope (when used at all).
    let probe_traits = (!probes.is_empty()).then(|| {
        quote!(
            use ::asyncworker::__private::{ProbeOther as _, ProbeState as _};
        )
    });
    let factory_call = quote_spanned! {span=>
        ::asyncworker::__private::http_factory(#ident)
    };
    let line = quote_spanned!(span=> ::core::line!());
    let paths = &route.paths;
    let methods = route
        .methods
        .iter()
        .map(|m| LitStr::new(m, Span::call_site()));
    let name = LitStr::new(name, Span::call_site());
    super::emit::registration(quote! {
        #check_signature
        #blocking_adapter
        #assert_send
        fn __asyncworker_required_state(__needs: &mut ::asyncworker::__private::StateNeeds) {
            #probe_traits
            #(#probes)*
        }
        fn __asyncworker_factory() -> ::asyncworker::__private::HttpFactory {
            #factory_call
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::HttpRouteDef {
                name: #name,
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: #line,
                paths: &[#(#paths),*],
                methods: &[#(#methods),*],
                factory: __asyncworker_factory,
                required_state: __asyncworker_required_state,
            }
        }
    })
}
