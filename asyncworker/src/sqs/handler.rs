//! `SqsHandler`: which functions can handle the messages of an SQS route.

use std::future::Future;

use super::message::SqsMessage;
use crate::app::App;
use crate::handler::{
    FromApp, HandlerFuture, IntoHandlerResult, StateRequirement, all_the_extractors,
    extract_or_return,
};

/// A function that can handle the messages of an SQS route with `bulk_size = BULK`.
///
/// Implemented for `async fn(E1, ..., En, Vec<SqsMessage<T>>)` (any bulk size) and
/// `async fn(E1, ..., En, SqsMessage<T>)` (only `bulk_size = 1`), where each `Ei` is a
/// [`FromApp`] extractor (`State<T>`, `App`), `T` a body the route's codec decodes (JSON for
/// `T: serde::Deserialize`), and the return type is `()` or `Result<(), E>`. The future must
/// be `Send`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid asyncworker SQS handler for this route",
    label = "not an SQS handler",
    note = "an SQS handler is `async fn(<extractors>..., messages: Vec<SqsMessage<T>>)`, or `async fn(<extractors>..., message: SqsMessage<T>)` when `bulk_size = 1`",
    note = "extractors are `State<T>` and `App`; `T` is decoded by the route's codec (JSON: `T: serde::Deserialize`); the return type must be `()` or `Result<(), E>`; the future must be `Send`"
)]
pub trait SqsHandler<Args, const BULK: u16>: Clone + Send + Sync + 'static {
    /// The message body type.
    type Body: Send + 'static;

    /// True when the handler takes one `SqsMessage<T>` rather than a `Vec`.
    const TAKES_ONE: bool;

    /// Calls the handler with one bulk (never empty; exactly one message for `SqsMessage<T>`).
    fn call(&self, app: &App, messages: Vec<SqsMessage<Self::Body>>) -> HandlerFuture;

    /// The state the extractors need.
    fn required_state(out: &mut Vec<StateRequirement>);
}

/// What the last argument of an SQS handler may be, for a route with `bulk_size = BULK`:
/// `Vec<SqsMessage<T>>` (any bulk size) or `SqsMessage<T>` (only `bulk_size = 1`).
///
/// Only checked by the code `#[route]` generates, at the user's argument type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive the messages of this SQS route",
    label = "not the messages of this route",
    note = "the last argument takes the messages: `Vec<SqsMessage<T>>`, or `SqsMessage<T>` when bulk_size = 1",
    note = "`T` is decoded by the route's codec (JSON: `T: serde::Deserialize`)"
)]
pub trait SqsMessagesArg<const BULK: u16> {}

#[diagnostic::do_not_recommend]
impl<T: Send + 'static, const BULK: u16> SqsMessagesArg<BULK> for Vec<SqsMessage<T>> {}

#[diagnostic::do_not_recommend]
impl<T: Send + 'static> SqsMessagesArg<1> for SqsMessage<T> {}

macro_rules! impl_sqs_handler {
    ($($e:ident),*) => {
        #[allow(non_snake_case, unused_variables, unused_mut)]
        #[diagnostic::do_not_recommend]
        impl<F, Fut, R, T, $($e,)* const BULK: u16> SqsHandler<($($e,)* Vec<SqsMessage<T>>,), BULK> for F
        where
            F: Fn($($e,)* Vec<SqsMessage<T>>) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoHandlerResult,
            T: Send + 'static,
            $($e: FromApp,)*
        {
            type Body = T;
            const TAKES_ONE: bool = false;

            fn call(&self, app: &App, messages: Vec<SqsMessage<T>>) -> HandlerFuture {
                extract_or_return!(app; $($e),*);
                let fut = (self)($($e,)* messages);
                Box::pin(async move { fut.await.into_handler_result() })
            }

            fn required_state(out: &mut Vec<StateRequirement>) {
                $($e::required_state(out);)*
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut)]
        #[diagnostic::do_not_recommend]
        impl<F, Fut, R, T, $($e,)*> SqsHandler<($($e,)* SqsMessage<T>,), 1> for F
        where
            F: Fn($($e,)* SqsMessage<T>) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = R> + Send + 'static,
            R: IntoHandlerResult,
            T: Send + 'static,
            $($e: FromApp,)*
        {
            type Body = T;
            const TAKES_ONE: bool = true;

            fn call(&self, app: &App, messages: Vec<SqsMessage<T>>) -> HandlerFuture {
                let Some(message) = messages.into_iter().next() else {
                    return Box::pin(async { Ok(()) });
                };
                extract_or_return!(app; $($e),*);
                let fut = (self)($($e,)* message);
                Box::pin(async move { fut.await.into_handler_result() })
            }

            fn required_state(out: &mut Vec<StateRequirement>) {
                $($e::required_state(out);)*
            }
        }
    };
}

all_the_extractors!(impl_sqs_handler);

/// Compile-time check of a handler's last argument (its messages) for a route with
/// `bulk_size = BULK`, spanned at its type by `#[route]`.
pub fn assert_sqs_messages<T: SqsMessagesArg<BULK>, const BULK: u16>() {}
