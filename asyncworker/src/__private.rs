//! Everything the generated code names. Not public API: it may change in any release.

pub use crate::action::Action;
#[cfg(feature = "amqp")]
pub use crate::amqp::exports::*;
pub use crate::app::App;
pub use crate::codec::{Json, Raw, Text};
pub use crate::docs::exports::*;
pub use crate::future::BoxFuture;
pub use crate::handler::{FromApp, HookResult, IntoHandlerResult, box_hook};
pub use crate::hooks::{HookDef, HookKind};
#[cfg(feature = "http")]
pub use crate::http::exports::*;
pub use crate::runtime::run_main;
#[cfg(feature = "schedule")]
pub use crate::schedule::exports::*;
pub use crate::settings::MainOptions;
#[cfg(feature = "sqs")]
pub use crate::sqs::exports::*;
#[cfg(feature = "sse")]
pub use crate::sse::exports::*;
pub use inventory;

/// Compile-time check that a handler's future is `Send`; when it is not, the error names the
/// value held across the `.await`.
pub fn assert_send_future<F: core::future::Future + Send>(_future: F) {}

/// Compile-time check of one extractor argument of a handler, spanned at its type by `#[route]`.
pub fn assert_extractor<T: FromApp>() {}

/// Compile-time check that a route's codec `C` decodes its bodies `T`, spanned by `#[route]`
/// at the `codec` path, or else at `T`.
pub fn assert_codec<C: crate::codec::Codec<T>, T>() {}

/// Compile-time check of a handler's return type, spanned at it by `#[route]`.
pub fn assert_handler_return<T: IntoHandlerResult>() {}

/// Wraps a `main!` option value.
pub const fn some<T>(value: T) -> Option<T> {
    Some(value)
}
pub use std::process::ExitCode;

/// Runs a blocking (non-async) handler on tokio's blocking pool; `#[route]` wraps every plain
/// `fn` handler in an adapter calling this. A panic in `f` resumes in the awaiting task, so it is
/// handled like the panic of an `async` handler.
pub async fn run_blocking<F, R>(f: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => value,
        Err(err) => match err.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(err) => panic!("blocking handler was cancelled: {err}"),
        },
    }
}

// Gates for the code `#[route]` generates: the registration of a route is wrapped in the gate
// of its backend, whose path is spanned at the backend's key in the attribute. With the
// backend compiled in, the gate is transparent; without it, the route is one compile error at
// that key naming the feature to enable, and nothing else: the registration, which names items
// of the missing backend, is dropped. (Written out five times: a macro cannot generate
// `#[macro_export]` macros that are then used by path.)

#[cfg(feature = "amqp")]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_amqp { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "amqp"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_amqp {
    ($($t:tt)*) => {
        $crate::__private::feature_off!("amqp");
    };
}
pub use crate::__backend_amqp as backend_amqp;

#[cfg(feature = "http")]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_http { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "http"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_http {
    ($($t:tt)*) => {
        $crate::__private::feature_off!("http");
    };
}
pub use crate::__backend_http as backend_http;

#[cfg(feature = "sse")]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_sse { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "sse"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_sse {
    ($($t:tt)*) => {
        $crate::__private::feature_off!("sse");
    };
}
pub use crate::__backend_sse as backend_sse;

#[cfg(feature = "sqs")]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_sqs { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "sqs"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_sqs {
    ($($t:tt)*) => {
        $crate::__private::feature_off!("sqs");
    };
}
pub use crate::__backend_sqs as backend_sqs;

#[cfg(feature = "schedule")]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_schedule { ($($t:tt)*) => { $($t)* }; }
#[cfg(not(feature = "schedule"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __backend_schedule {
    ($($t:tt)*) => {
        $crate::__private::feature_off!("schedule");
    };
}
pub use crate::__backend_schedule as backend_schedule;

/// `singleton = true` on a scheduled route: nothing with the `amqp` backend, whose broker
/// holds the lease; without it, an error at `singleton`.
#[cfg(feature = "amqp")]
#[doc(hidden)]
#[macro_export]
macro_rules! __singleton_gate {
    () => {};
}
#[cfg(not(feature = "amqp"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __singleton_gate {
    () => {
        ::core::compile_error!(
            "`singleton = true` needs asyncworker's `amqp` feature: the lease is an exclusive \
             queue on the broker (features = [\"amqp\", \"schedule\"])"
        );
    };
}
pub use crate::__singleton_gate as singleton_gate;

/// The error of a route whose backend is not compiled in.
#[doc(hidden)]
#[macro_export]
macro_rules! __feature_off {
    ($feature:literal) => {
        ::core::compile_error!(::core::concat!(
            "this route needs the `",
            $feature,
            "` backend, which is not compiled in: enable the `",
            $feature,
            "` feature of asyncworker (features = [\"",
            $feature,
            "\"])"
        ));
    };
}
pub use crate::__feature_off as feature_off;
