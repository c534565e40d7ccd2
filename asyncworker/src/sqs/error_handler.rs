//! `SqsErrorHandler`: which functions can be an SQS route's `error_handler`.

use std::future::Future;

use super::message::SqsMessage;
use crate::app::App;
use crate::failure::Failure;
use crate::handler::{
    FromApp, HandlerFuture, IntoHandlerResult, StateRequirement, all_the_extractors,
    extract_or_return,
};

/// A function that can be the `error_handler` of an SQS route whose messages are `T`.
///
/// Implemented for `async fn(E1, ..., En, Failure, Vec<SqsMessage<T>>)`, where each `Ei` is a
/// [`FromApp`] extractor (`State<T>`, `App`) and the return type is `()` or `Result<(), E>`.
/// It gets the failed bulk and may mark each message (`accept()`, `reject()`, `requeue()`) to
/// override the route's `on_exception` (and its retries); unmarked messages get it. If it
/// fails or panics, that is logged and its marks are undone.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid error handler for this SQS route",
    label = "not an SQS error handler",
    note = "an SQS error handler is `async fn(<extractors>..., failure: Failure, messages: Vec<SqsMessage<T>>)`, with the `T` of the route's handler",
    note = "extractors are `State<T>` and `App`; the return type must be `()` or `Result<(), E>`; the future must be `Send`"
)]
pub trait SqsErrorHandler<Args, T>: Clone + Send + Sync + 'static {
    /// Calls it with how the bulk failed and the bulk.
    fn call(&self, app: &App, failure: Failure, messages: Vec<SqsMessage<T>>) -> HandlerFuture;

    /// The state the extractors need.
    fn required_state(out: &mut Vec<StateRequirement>);
}

macro_rules! impl_sqs_error_handler {
    ($($e:ident),*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        #[diagnostic::do_not_recommend]
        impl<F, Fut, R, T, $($e,)*> SqsErrorHandler<($($e,)*), T> for F
        where
            F: Fn($($e,)* Failure, Vec<SqsMessage<T>>) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoHandlerResult,
            T: Send + 'static,
            $($e: FromApp,)*
        {
            fn call(&self, app: &App, failure: Failure, messages: Vec<SqsMessage<T>>) -> HandlerFuture {
                extract_or_return!(app; $($e),*);
                let fut = (self)($($e,)* failure, messages);
                Box::pin(async move { fut.await.into_handler_result() })
            }

            fn required_state(out: &mut Vec<StateRequirement>) {
                $($e::required_state(out);)*
            }
        }
    };
}

all_the_extractors!(impl_sqs_error_handler);
