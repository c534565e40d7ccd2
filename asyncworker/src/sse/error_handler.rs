//! `SseErrorHandler`: which functions can be an SSE route's `error_handler`.

use std::future::Future;

use super::event::Event;
use crate::app::App;
use crate::failure::Failure;
use crate::handler::{
    FromApp, HandlerFuture, IntoHandlerResult, StateRequirement, all_the_extractors,
    extract_or_return,
};

/// A function that can be the `error_handler` of an SSE route whose events are `T`.
///
/// Implemented for `async fn(E1, ..., En, Failure, Vec<Event<T>>)`, where each `Ei` is a
/// [`FromApp`] extractor (`State<T>`, `App`) and the return type is `()` or `Result<(), E>`.
/// It gets the failed bulk to report or store it: events have no fate to choose (an SSE
/// server takes no acknowledgement). If it fails or panics, that is logged.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid error handler for this SSE route",
    label = "not an SSE error handler",
    note = "an SSE error handler is `async fn(<extractors>..., failure: Failure, events: Vec<Event<T>>)`, with the `T` of the route's handler",
    note = "extractors are `State<T>` and `App`; the return type must be `()` or `Result<(), E>`; the future must be `Send`"
)]
pub trait SseErrorHandler<Args, T>: Clone + Send + Sync + 'static {
    /// Calls it with how the bulk failed and the bulk.
    fn call(&self, app: &App, failure: Failure, events: Vec<Event<T>>) -> HandlerFuture;

    /// The state the extractors need.
    fn required_state(out: &mut Vec<StateRequirement>);
}

macro_rules! impl_sse_error_handler {
    ($($e:ident),*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        #[diagnostic::do_not_recommend]
        impl<F, Fut, R, T, $($e,)*> SseErrorHandler<($($e,)*), T> for F
        where
            F: Fn($($e,)* Failure, Vec<Event<T>>) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoHandlerResult,
            T: Send + 'static,
            $($e: FromApp,)*
        {
            fn call(&self, app: &App, failure: Failure, events: Vec<Event<T>>) -> HandlerFuture {
                extract_or_return!(app; $($e),*);
                let fut = (self)($($e,)* failure, events);
                Box::pin(async move { fut.await.into_handler_result() })
            }

            fn required_state(out: &mut Vec<StateRequirement>) {
                $($e::required_state(out);)*
            }
        }
    };
}

all_the_extractors!(impl_sse_error_handler);
