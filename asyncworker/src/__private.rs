//! Everything the generated code names. Not public API: it may change in any release.

pub use crate::action::Action;
pub use crate::amqp::{AmqpFactory, AmqpOptions, AmqpRouteDef, amqp_factory};
pub use crate::app::App;
pub use crate::handler::{FromApp, HookResult, IntoHandlerResult, MessagesArg, box_hook};
pub use crate::hooks::{BoxFuture, HookDef, HookKind};
pub use crate::http::exports::*;
pub use crate::runtime::run_main;
pub use crate::schedule::exports::*;
pub use crate::settings::MainOptions;
pub use crate::sse::exports::*;
pub use inventory;

/// Compile-time check that a handler's future is `Send`; when it is not, the error names the
/// value held across the `.await`.
pub fn assert_send_future<F: core::future::Future + Send>(_future: F) {}

/// Compile-time check of one extractor argument of a handler, spanned at its type by `#[route]`.
pub fn assert_extractor<T: FromApp>() {}

/// Compile-time check of a handler's last argument (its messages) for a route with
/// `bulk_size = BULK`, spanned at its type by `#[route]`.
pub fn assert_messages<T: MessagesArg<BULK>, const BULK: u16>() {}

/// Compile-time check of a handler's return type, spanned at it by `#[route]`.
pub fn assert_handler_return<T: IntoHandlerResult>() {}

/// Wraps a `main!` option value.
pub const fn some<T>(value: T) -> Option<T> {
    Some(value)
}
pub use std::process::ExitCode;
