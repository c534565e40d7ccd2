//! Typing of HTTP handlers: axum's `Handler` behind traits whose diagnostics speak of
//! asyncworker, plus the checks `#[route]` emits at each argument and the return type.

use std::marker::PhantomData;

use axum::extract::{FromRequest, FromRequestParts};
use axum::handler::Handler;
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter};

use super::guard::{Guard, Guarded};
use crate::app::{App, State};
use crate::handler::StateRequirement;

/// An `async fn` that can serve an HTTP route: an axum handler whose state is the worker's
/// [`App`].
///
/// Implemented for every `async fn` of up to 16 arguments whose arguments are extractors
/// (every one but the last implements [`HttpExtractor`], the last [`HttpLastArg`]), whose
/// return type implements [`HttpResponse`] and whose future is `Send`.
///
/// ```
/// use asyncworker::App;
/// use asyncworker::http::{HttpHandler, Json, Path};
///
/// async fn hello(_app: App, Path(name): Path<String>) -> Json<String> {
///     Json(format!("hello {name}"))
/// }
///
/// fn assert_handler<T, H: HttpHandler<T>>(_: H) {}
/// assert_handler(hello);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid asyncworker HTTP handler",
    label = "not an HTTP handler",
    note = "an HTTP handler is an `async fn` of up to 16 extractors returning a type that implements `IntoResponse`",
    note = "extractors: `Path<T>`, `Query<T>`, `HeaderMap`, `Method`, `Uri`, `State<T>`, `App`, ...; a body extractor (`Json<T>`, `String`, `Bytes`) must be the last argument",
    note = "the future must be `Send`: do not hold a non-`Send` value (`Rc`, a `std::sync::MutexGuard`) across an `.await`"
)]
pub trait HttpHandler<T>: Clone + Send + Sync + 'static {
    /// The axum method router serving this handler for `filter`, under `guard`.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn method_router(self, filter: MethodFilter, guard: Guard) -> MethodRouter<App>;
}

#[diagnostic::do_not_recommend]
impl<H, T> HttpHandler<T> for H
where
    H: Handler<T, App>,
    // True of every `async fn` handler: axum boxes its future.
    H::Future: Unpin,
    T: 'static,
{
    #[allow(private_interfaces)]
    fn method_router(self, filter: MethodFilter, guard: Guard) -> MethodRouter<App> {
        axum::routing::on(
            filter,
            Guarded {
                handler: self,
                guard,
            },
        )
    }
}

/// An argument of an HTTP handler that is not the last: it reads the request head only.
///
/// Every axum [`FromRequestParts`] extractor with the worker's [`App`] as state: `Path<T>`,
/// `Query<T>`, `HeaderMap`, `Method`, `Uri`, [`State<T>`](crate::State), [`App`], ...
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of an HTTP handler here",
    label = "not an extractor of the request head",
    note = "every argument but the last must read the request head only: `Path<T>`, `Query<T>`, `HeaderMap`, `Method`, `Uri`, `State<T>`, `App`, ...",
    note = "a body extractor (`Json<T>`, `String`, `Bytes`) must be the last argument"
)]
pub trait HttpExtractor {}

#[diagnostic::do_not_recommend]
impl<T: FromRequestParts<App>> HttpExtractor for T {}

/// The last argument of an HTTP handler: any extractor, the body ones (`Json<T>`, `String`,
/// `Bytes`, `Request`) included.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of an HTTP handler",
    label = "not an HTTP extractor",
    note = "HTTP handler arguments are extractors: `Path<T>`, `Query<T>`, `Json<T>`, `HeaderMap`, `String`, `Bytes`, `State<T>`, `App`, ... (`T` must implement `serde::Deserialize` where it is decoded)"
)]
pub trait HttpLastArg<M> {}

#[diagnostic::do_not_recommend]
impl<T: FromRequest<App, M>, M> HttpLastArg<M> for T {}

/// What an HTTP handler may return: anything axum turns into a response.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by an HTTP handler",
    label = "does not implement `IntoResponse`",
    note = "return a type that implements `IntoResponse`: `&'static str`, `String`, `Json<T>`, `StatusCode`, `(StatusCode, Json<T>)`, `Result<T, E>` where both do, ..."
)]
pub trait HttpResponse {}

#[diagnostic::do_not_recommend]
impl<T: IntoResponse> HttpResponse for T {}

/// Compile-time check of an argument that is not the last, spanned at its type by `#[route]`.
pub fn assert_http_extractor<T: HttpExtractor>() {}

/// Compile-time check of the last argument, spanned at its type by `#[route]`.
pub fn assert_http_last_arg<T: HttpLastArg<M>, M>() {}

/// Compile-time check of the return type, spanned at it by `#[route]`.
pub fn assert_http_return<T: HttpResponse>() {}

/// A type-erased handler, ready to be routed for any set of methods.
pub struct HttpFactory {
    make: Box<dyn Fn(MethodFilter, Guard) -> MethodRouter<App> + Send + Sync>,
}

impl HttpFactory {
    pub(crate) fn method_router(&self, filter: MethodFilter, guard: Guard) -> MethodRouter<App> {
        (self.make)(filter, guard)
    }
}

impl std::fmt::Debug for HttpFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFactory").finish_non_exhaustive()
    }
}

/// Type-checks `handler` as an HTTP handler and erases it.
pub fn http_factory<H: HttpHandler<T>, T>(handler: H) -> HttpFactory {
    HttpFactory {
        make: Box::new(move |filter, guard| handler.clone().method_router(filter, guard)),
    }
}

/// The state types a route's extractors need.
pub type StateNeeds = Vec<StateRequirement>;

/// Finds the `State<T>` arguments of a handler by their type (autoref specialisation):
/// `(&StateProbe::<X>::NEW).required_state(out)` records `T` when `X` is `State<T>` and does
/// nothing for any other extractor.
pub struct StateProbe<T>(PhantomData<fn() -> T>);

impl<T> StateProbe<T> {
    /// The probe for argument type `T`.
    pub const NEW: StateProbe<T> = StateProbe(PhantomData);
}

/// Chosen for `StateProbe<State<T>>`: records `T`.
pub trait ProbeState {
    /// Records the state this argument needs.
    fn required_state(&self, out: &mut StateNeeds);
}

impl<T: Send + Sync + 'static> ProbeState for StateProbe<State<T>> {
    fn required_state(&self, out: &mut StateNeeds) {
        out.push(StateRequirement {
            id: std::any::TypeId::of::<T>(),
            type_name: std::any::type_name::<T>(),
        });
    }
}

/// Chosen for every other argument type: needs no state.
pub trait ProbeOther {
    /// Records nothing.
    fn required_state(&self, _out: &mut StateNeeds) {}
}

impl<T> ProbeOther for &StateProbe<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::needless_borrow)] // the borrow is what selects the fallback
    fn probes_find_state_arguments_only() {
        let mut needs = StateNeeds::new();
        (&StateProbe::<State<u32>>::NEW).required_state(&mut needs);
        (&StateProbe::<App>::NEW).required_state(&mut needs);
        (&StateProbe::<String>::NEW).required_state(&mut needs);
        assert_eq!(needs.len(), 1);
        assert_eq!(needs[0].type_name, "u32");
    }
}
