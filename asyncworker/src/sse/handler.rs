//! `SseHandler`: which functions can handle the events of an SSE route.

use std::future::Future;

use super::event::Event;
use crate::app::App;
use crate::handler::{
    FromApp, HandlerFuture, IntoHandlerResult, StateRequirement, all_the_extractors,
    extract_or_return,
};

/// A function that can handle the events of an SSE route.
///
/// Implemented for `async fn(E1, ..., En, Vec<Event<T>>)`, where each `Ei` is a [`FromApp`]
/// extractor (`State<T>`, `App`), `T` a type the route's codec decodes (each event's `data:` is JSON for
/// `T: serde::Deserialize`, text for `String`), and the return type is `()` or `Result<(), E>`. The future must be `Send`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid asyncworker SSE handler",
    label = "not an SSE handler",
    note = "an SSE handler is `async fn(<extractors>..., events: Vec<Event<T>>)`",
    note = "extractors are `State<T>` and `App`; `T` is decoded by the route's codec (JSON: `T: serde::Deserialize`); the return type must be `()` or `Result<(), E>`; the future must be `Send`"
)]
pub trait SseHandler<Args>: Clone + Send + Sync + 'static {
    /// The type each event's data decodes into.
    type Data: Send + 'static;

    /// Calls the handler with one bulk (never empty).
    fn call(&self, app: &App, events: Vec<Event<Self::Data>>) -> HandlerFuture;

    /// The state the extractors need.
    fn required_state(out: &mut Vec<StateRequirement>);
}

/// What the last argument of an SSE handler may be: `Vec<Event<T>>`.
///
/// Only checked by the code `#[route]` generates, at the user's argument type, so that a wrong
/// events argument is reported there rather than as "not a valid SSE handler".
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive the events of an SSE route",
    label = "not the events of an SSE route",
    note = "the last argument takes the events: `Vec<Event<T>>` (`asyncworker::Event`)",
    note = "`T` is decoded by the route's codec (JSON: `T: serde::Deserialize`)"
)]
pub trait EventsArg {}

#[diagnostic::do_not_recommend]
impl<T: Send + 'static> EventsArg for Vec<Event<T>> {}

macro_rules! impl_sse_handler {
    ($($e:ident),*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        #[diagnostic::do_not_recommend]
        impl<F, Fut, R, T, $($e,)*> SseHandler<($($e,)* Vec<Event<T>>,)> for F
        where
            F: Fn($($e,)* Vec<Event<T>>) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoHandlerResult,
            T: Send + 'static,
            $($e: FromApp,)*
        {
            type Data = T;

            fn call(&self, app: &App, events: Vec<Event<T>>) -> HandlerFuture {
                extract_or_return!(app; $($e),*);
                let fut = (self)($($e,)* events);
                Box::pin(async move { fut.await.into_handler_result() })
            }

            fn required_state(out: &mut Vec<StateRequirement>) {
                $($e::required_state(out);)*
            }
        }
    };
}

all_the_extractors!(impl_sse_handler);
