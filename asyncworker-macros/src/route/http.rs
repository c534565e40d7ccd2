//! `#[route(http = [...])]`: validation and emission of HTTP routes.

use proc_macro2::TokenStream;
use syn::ItemFn;

use super::args::{RouteArgs, StrList};
use crate::errors::Errors;

/// A validated HTTP route.
pub(crate) struct HttpRoute {}

pub(crate) fn validate(
    args: &RouteArgs,
    paths: &StrList,
    errors: &mut Errors,
) -> Option<HttpRoute> {
    let _ = (args, paths);
    errors.push(syn::Error::new(
        paths.bracket.span.join(),
        "`http` routes are not implemented yet in this version of asyncworker",
    ));
    None
}

/// Checks on the handler's signature that the macro can make from tokens.
pub(crate) fn check_handler(func: &ItemFn, errors: &mut Errors) {
    let _ = (func, errors);
}

pub(crate) fn emit(route: &HttpRoute, name: &str, func: &ItemFn) -> TokenStream {
    let _ = (route, name, func);
    TokenStream::new()
}
