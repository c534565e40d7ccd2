//! # asyncworker
//!
//! Asynchronous workers from annotated `async fn`s. Annotate handlers with
//! [`#[route]`](route), add startup and shutdown hooks, call [`main!`], and get a worker that
//! consumes RabbitMQ queues in bulk with at-least-once delivery, reconnection and graceful
//! shutdown.
//!
//! ```no_run
//! use asyncworker::prelude::*;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct Order { id: u64 }
//!
//! struct Db;
//!
//! /// Called with up to 100 messages at a time from either queue.
//! #[route(amqp = ["orders", "orders.retry"], bulk_size = 100)]
//! async fn drain(db: State<Db>, messages: Vec<Message<Order>>) -> Result<(), std::io::Error> {
//!     for m in &messages {
//!         if m.body().id == 0 {
//!             m.reject(); // this one is dropped (dead-lettered if the queue has a DLX)
//!         }
//!     }
//!     Ok(()) // every unmarked message is acked
//! }
//!
//! #[on_startup]
//! async fn connect(app: &App) -> Result<(), asyncworker::StateError> {
//!     app.insert(Db)
//! }
//!
//! asyncworker::main!();
//! ```
//!
//! ## Delivery semantics
//! - A message is acked only after its handler returned and its action is `ack`: nothing is
//!   acked early, so a crash, a lost connection or a shutdown never loses a message. Handlers
//!   must be idempotent: a message can be delivered more than once.
//! - A bulk is handed over when it holds `bulk_size` messages, when its oldest message has
//!   waited `bulk_flush`, or at shutdown; never empty. All queues of a route share its bucket.
//! - A body that does not decode into `T` never reaches the handler: it is settled with
//!   `on_decode_error` (reject by default) and logged. A panic is caught and handled like an
//!   error (`on_exception`, requeue by default).
//! - Consecutive acks on a channel are coalesced into one `basic.ack(multiple = true)`.

#![warn(missing_docs)]
// Core pieces serve several backends (the dispatcher serves AMQP and SSE, the call serves
// them and schedules, ...): a build with only some backends leaves some of them unused. Dead
// code is judged in the full build, as tokio does for its feature-gated builds.
#![cfg_attr(
    not(all(
        feature = "amqp",
        feature = "http",
        feature = "sse",
        feature = "schedule"
    )),
    allow(dead_code, unused_imports, unused_macros)
)]

// The core: it knows no backend (nothing here imports `amqp`, `http`, `sse` or `schedule`).
mod action;
mod app;
mod backend;
mod backoff;
mod bulk;
mod clock;
pub mod codec;
mod dispatch;
mod docs;
mod drain;
mod failure;
mod future;
pub mod handler;
mod hooks;
#[cfg(feature = "otel")]
mod otel;
mod registry;
mod sync;

// Running a worker, its settings, and what it tells the outside about itself.
pub mod observe;
pub mod runtime;
pub mod settings;

pub mod prelude;

/// JSON Schemas of the types routes take and return, for the worker's documents (OpenAPI,
/// AsyncAPI). With the `schema` feature, a body type that derives `JsonSchema` appears with
/// its schema; any other type is described as free-form JSON, never a compile error.
///
/// The derive names the `schemars` crate: add it to your `Cargo.toml` (version 1), or point
/// the derive at this re-export.
///
/// ```
/// # #[cfg(feature = "schema")] {
/// use asyncworker::schema::JsonSchema;
/// use serde::Deserialize;
///
/// /// An order, as the shop publishes it.
/// #[derive(Deserialize, JsonSchema)]
/// #[schemars(crate = "asyncworker::schema::schemars")]
/// struct Order { id: u64, total_cents: i64 }
/// # }
/// ```
pub mod schema {
    pub use crate::docs::TypeSchema;
    #[cfg(feature = "schema")]
    pub use schemars::{self, JsonSchema};
}

// The backends, one per cargo feature.
#[cfg(feature = "amqp")]
pub mod amqp;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "schedule")]
pub mod schedule;
#[cfg(feature = "sqs")]
pub mod sqs;
#[cfg(feature = "sse")]
pub mod sse;

#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use action::Action;
#[cfg(feature = "amqp")]
pub use amqp::Message;
pub use app::{App, State, StateError};
pub use failure::{Failure, RawMessage};
pub use runtime::{RouteProblem, Worker, WorkerError, run_with};
pub use settings::{MainOptions, Settings};
#[cfg(feature = "sse")]
pub use sse::Event;

pub use asyncworker_macros::{on_shutdown, on_startup, route};

/// Generates `fn main()` for a worker binary: reads settings, runs startup hooks, consumes
/// every registered route until SIGINT/SIGTERM, drains, runs shutdown hooks.
///
/// Options override the `ASYNCWORKER_*` environment; each key is a field of
/// [`MainOptions`], and an unknown key is a compile error at the key.
///
/// ```
/// # use asyncworker::prelude::*;
/// # #[route(amqp = ["q"])] async fn h(_m: Vec<Message<u8>>) {}
/// asyncworker::main!(shutdown_timeout = "10s", log_format = "json");
/// ```
///
/// `main!` must sit at the root of a binary crate. If the handlers live in another crate,
/// reference it (`use my_handlers as _;`) or the linker drops its registrations.
#[macro_export]
macro_rules! main {
    () => {
        $crate::main!(@emit $crate::__private::MainOptions::DEFAULT);
    };
    ($($key:ident = $value:expr),+ $(,)?) => {
        $crate::main!(@emit {
            let mut options = $crate::__private::MainOptions::DEFAULT;
            $( options.$key = $crate::__private::some($value); )+
            options
        });
    };
    (@emit $options:expr) => {
        fn main() -> $crate::__private::ExitCode {
            let mut options: $crate::__private::MainOptions = $options;
            // The worker's own version (this expands in its crate), for the documents.
            if options.app_version.is_none() {
                options.app_version = $crate::__private::some(::core::env!("CARGO_PKG_VERSION"));
            }
            $crate::__private::run_main(options)
        }
    };
}
