//! `ScheduledHandler`: which functions can run on a schedule.

use std::future::Future;

use super::run_key::RunKey;
use crate::app::{App, StateError};
use crate::handler::{
    FromApp, HandlerFuture, IntoHandlerResult, StateRequirement, all_the_extractors,
    extract_or_return,
};

/// A function that can run on a schedule (`#[route(every = ...)]`, `#[route(cron = ...)]`).
///
/// Implemented for `async fn(E1, ..., En)`, where each `Ei` is a [`ScheduleArg`]: a
/// [`FromApp`] extractor (`State<T>`, `App`) or the run's [`RunKey`], and the return type is `()` or `Result<(), E>`. The future must be
/// `Send`. A scheduled handler receives no messages.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid asyncworker scheduled handler",
    label = "not a scheduled handler",
    note = "a scheduled handler is `async fn(<extractors>...)`: it takes no messages",
    note = "arguments are `State<T>`, `App` and `RunKey`; the return type must be `()` or `Result<(), E>`; the future must be `Send`"
)]
pub trait ScheduledHandler<Args>: Clone + Send + Sync + 'static {
    /// Calls the handler once, for the run `key`.
    fn call(&self, app: &App, key: &RunKey) -> HandlerFuture;

    /// The state the extractors need.
    fn required_state(out: &mut Vec<StateRequirement>);
}

/// What an argument of a scheduled handler may be: an extractor (`State<T>`, `App`), taken
/// from the application, or the [`RunKey`] of the run.
///
/// The code `#[route]` generates checks it at the user's argument type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an argument of a scheduled handler",
    label = "not an asyncworker extractor",
    note = "a scheduled handler takes no messages; its arguments must be `State<T>`, `App` or `RunKey`"
)]
pub trait ScheduleArg: Sized + Send + 'static {
    /// Builds the argument for the run `key`.
    fn from_run(app: &App, key: &RunKey) -> Result<Self, StateError>;

    /// Records the state this argument needs, so a missing one is reported at startup.
    fn required_state(_out: &mut Vec<StateRequirement>) {}
}

#[diagnostic::do_not_recommend]
impl<T: FromApp> ScheduleArg for T {
    fn from_run(app: &App, _key: &RunKey) -> Result<Self, StateError> {
        T::from_app(app)
    }

    fn required_state(out: &mut Vec<StateRequirement>) {
        <T as FromApp>::required_state(out);
    }
}

impl ScheduleArg for RunKey {
    fn from_run(_app: &App, key: &RunKey) -> Result<Self, StateError> {
        Ok(key.clone())
    }
}

macro_rules! impl_scheduled_handler {
    ($($e:ident),*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        #[diagnostic::do_not_recommend]
        impl<F, Fut, R, $($e,)*> ScheduledHandler<($($e,)*)> for F
        where
            F: Fn($($e,)*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoHandlerResult,
            $($e: ScheduleArg,)*
        {
            fn call(&self, app: &App, key: &RunKey) -> HandlerFuture {
                extract_or_return!(from ScheduleArg, from_run(app, key); $($e),*);
                let fut = (self)($($e,)*);
                Box::pin(async move { fut.await.into_handler_result() })
            }

            fn required_state(out: &mut Vec<StateRequirement>) {
                $(<$e as ScheduleArg>::required_state(out);)*
            }
        }
    };
}

all_the_extractors!(impl_scheduled_handler);
