//! `#[route]` from end to end: parse the arguments and the function, validate them (every
//! mistake at once), then emit the function unchanged plus its gated registration.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::{ItemFn, LitStr};

use super::args::{Backend, BackendArg, RouteArgs};
use super::{amqp, emit, http, publishes, schedule, sqs, sse};
use crate::errors::Errors;
use crate::item::{self, Kind};

/// Entry point of `#[route]`. On error the function is still emitted, so the only diagnostics
/// are ours, with no cascade of "cannot find function" errors.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(attr, item.clone()) {
        Ok(tokens) => tokens,
        Err(err) => {
            let mut tokens = item;
            tokens.extend(err.to_compile_error());
            tokens
        }
    }
}

/// The expansion, or every error found (combined).
pub(crate) fn try_expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let args = errors.ok(syn::parse2::<RouteArgs>(attr));
    let func = errors.ok(item::parse(item.clone(), "route"));
    if let Some(func) = &func {
        item::check(func, Kind::Handler, &mut errors);
        item::check_blocking(func, &mut errors);
    }
    let route = args.and_then(|args| validate(args, &mut errors));
    if let (Some(func), Some(route)) = (&func, &route) {
        match &route.kind {
            RouteKind::Amqp(_) => amqp::check_handler(func, &mut errors),
            RouteKind::Http(_) => http::check_handler(func, &mut errors),
            RouteKind::Sse(_) => sse::check_handler(func, &mut errors),
            RouteKind::Sqs(_) => sqs::check_handler(func, &mut errors),
            RouteKind::Schedule(_) => schedule::check_handler(func, &mut errors),
        }
    }
    errors.finish()?;
    let (Some(func), Some(route)) = (func, route) else {
        return Err(syn::Error::new(
            Span::call_site(),
            "asyncworker-macros: internal error: no route despite no error",
        ));
    };
    let registration = emit(&route, &func);
    let mut tokens = item;
    tokens.extend(registration);
    Ok(tokens)
}

/// A route ready to be emitted.
struct Route {
    name: Option<LitStr>,
    kind: RouteKind,
    backend: Backend,
    /// The backend key as written, where a disabled backend is reported.
    key: Span,
    /// The backend key's name (`amqp`, `every`...).
    key_name: &'static str,
    /// What the handler publishes with `app.amqp()`.
    publishes: Vec<publishes::Publish>,
}

/// The backend-specific part of a route.
enum RouteKind {
    Amqp(amqp::AmqpRoute),
    Http(http::HttpRoute),
    Sse(sse::SseRoute),
    Sqs(sqs::SqsRoute),
    Schedule(schedule::ScheduleRoute),
}

fn validate(mut args: RouteArgs, errors: &mut Errors) -> Option<Route> {
    let had_syntax_errors = !args.errors.is_empty();
    errors.extend(std::mem::take(&mut args.errors));
    if let Some(name) = &args.name
        && name.value.value().is_empty()
    {
        errors.push(syn::Error::new(
            name.value.span(),
            "`name` must not be empty",
        ));
    }
    let Some(backend) = &args.backend else {
        // A mistyped backend key was reported already; "needs a backend" would repeat it.
        if !had_syntax_errors {
            errors.push(syn::Error::new(
                Span::call_site(),
                "a route needs a backend: `amqp = [\"queue\", ...]`",
            ));
        }
        return None;
    };
    args.reject_foreign(backend, errors);
    let kind = match backend {
        BackendArg::Amqp(queues) => RouteKind::Amqp(amqp::validate(&args, &queues.value, errors)),
        BackendArg::Http(paths) => RouteKind::Http(http::validate(&args, &paths.value, errors)?),
        BackendArg::Sse(paths) => RouteKind::Sse(sse::validate(&args, &paths.value, errors)?),
        BackendArg::Sqs(queues) => RouteKind::Sqs(sqs::validate(&args, &queues.value, errors)),
        BackendArg::Every(every) => {
            RouteKind::Schedule(schedule::validate_every(&args, &every.value, errors)?)
        }
        BackendArg::Cron(cron) => {
            RouteKind::Schedule(schedule::validate_cron(&args, &cron.value, errors)?)
        }
    };
    Some(Route {
        name: args.name.as_ref().map(|arg| arg.value.clone()),
        kind,
        backend: backend.backend(),
        key: backend.span(),
        key_name: backend.name(),
        publishes: publishes::validate(args.publishes.as_ref().map(|a| &a.value), errors),
    })
}

/// The registration of a valid route, through its backend's gate.
fn emit(route: &Route, func: &ItemFn) -> TokenStream {
    let name = route
        .name
        .as_ref()
        .map_or_else(|| func.sig.ident.unraw().to_string(), LitStr::value);
    let handler = match &route.kind {
        RouteKind::Amqp(r) => amqp::handler(r, func),
        RouteKind::Http(r) => http::handler(r, func),
        RouteKind::Sse(r) => sse::handler(r, func),
        RouteKind::Sqs(r) => sqs::handler(r, func),
        RouteKind::Schedule(r) => schedule::handler(r, func),
    };
    let published = emit::Published {
        backend: route.key_name,
        entries: &route.publishes,
    };
    emit::route(func, &name, route.backend, route.key, handler, &published)
}
