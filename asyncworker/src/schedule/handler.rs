//! `ScheduledHandler`: which functions can run on a schedule.

use std::future::Future;

use crate::app::App;
use crate::handler::{
    FromApp, HandlerFuture, IntoHandlerResult, StateRequirement, all_the_extractors,
    extract_or_return,
};

/// A function that can run on a schedule (`#[route(every = ...)]`, `#[route(cron = ...)]`).
///
/// Implemented for `async fn(E1, ..., En)`, where each `Ei` is a [`FromApp`] extractor
/// (`State<T>`, `App`) and the return type is `()` or `Result<(), E>`. The future must be
/// `Send`. A scheduled handler receives no messages.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid asyncworker scheduled handler",
    label = "not a scheduled handler",
    note = "a scheduled handler is `async fn(<extractors>...)`: it takes no messages",
    note = "extractors are `State<T>` and `App`; the return type must be `()` or `Result<(), E>`; the future must be `Send`"
)]
pub trait ScheduledHandler<Args>: Clone + Send + Sync + 'static {
    /// Calls the handler once.
    fn call(&self, app: &App) -> HandlerFuture;

    /// The state the extractors need.
    fn required_state(out: &mut Vec<StateRequirement>);
}

/// What an argument of a scheduled handler may be: an extractor (`State<T>`, `App`).
///
/// Only checked by the code `#[route]` generates, at the user's argument type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of a scheduled handler",
    label = "not an asyncworker extractor",
    note = "a scheduled handler takes no messages; its arguments must be `State<T>` or `App`"
)]
pub trait ScheduleArg {}

#[diagnostic::do_not_recommend]
impl<T: FromApp> ScheduleArg for T {}

macro_rules! impl_scheduled_handler {
    ($($e:ident),*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        #[diagnostic::do_not_recommend]
        impl<F, Fut, R, $($e,)*> ScheduledHandler<($($e,)*)> for F
        where
            F: Fn($($e,)*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoHandlerResult,
            $($e: FromApp,)*
        {
            fn call(&self, app: &App) -> HandlerFuture {
                extract_or_return!(app; $($e),*);
                let fut = (self)($($e,)*);
                Box::pin(async move { fut.await.into_handler_result() })
            }

            fn required_state(out: &mut Vec<StateRequirement>) {
                $($e::required_state(out);)*
            }
        }
    };
}

all_the_extractors!(impl_scheduled_handler);
