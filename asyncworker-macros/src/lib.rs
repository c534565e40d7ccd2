//! Procedural macros of [asyncworker]: `#[route]`, `#[on_startup]` and `#[on_shutdown]`.
//!
//! Use them through the `asyncworker` crate, which re-exports them; the code they generate
//! names `::asyncworker::__private` and nothing else.
//!
//! Each macro only parses, validates (reporting every mistake at once, at the offending token)
//! and emits a registration next to the unchanged function. All behaviour lives in the runtime.
//!
//! # Reading the expansions
//!
//! `tests/expand/` holds one input per route kind and for the hooks (`amqp.rs`, `http.rs`,
//! `sse.rs`, `sqs.rs`, `schedule.rs`, `hook.rs`: attributes on functions, as a user writes them)
//! and, beside each, `<name>.expanded.rs`: what this crate turns it into, rendered with
//! prettyplease (the bodies of the backend gate and of `inventory::submit!` included). A change
//! to the generated code shows in a review as a diff of those files. They are not compiled; the
//! `tests/ui` crate of the workspace compiles real routes.
//!
//! The unit test `snapshots::expansions_match_their_snapshots` expands each input and fails,
//! with a line diff, when the result differs from its snapshot. After an intended change,
//! rewrite them and read the diff before committing it:
//!
//! ```text
//! ASYNCWORKER_BLESS=1 cargo test -p asyncworker-macros snapshots
//! git diff asyncworker-macros/tests/expand
//! ```
//!
//! A new input file is covered once its name is added to `snapshots::INPUTS`.
//!
//! # Layout
//!
//! `parse` holds the generic attribute parsing, `paths` every path the generated code names,
//! `emit` the registration all macros share. `route` has the key table (`route/args.rs`), one
//! file per backend (its checks and what it adds to the registration), `route/emit.rs`, what
//! every route's registration shares, the backend gate included, what the queue backends (AMQP,
//! SQS) share (`route/queues.rs`, `route/settle.rs`, `route/retry.rs`, `route/consumer.rs`),
//! and `route/expand.rs`, the pipeline joining them. `hooks` is `#[on_startup]` and
//! `#[on_shutdown]`.
//!
//! [asyncworker]: https://docs.rs/asyncworker

mod duration;
mod emit;
mod errors;
mod hooks;
mod item;
mod parse;
mod paths;
mod route;
#[cfg(test)]
mod snapshots;
#[cfg(test)]
mod test_support;

use proc_macro::TokenStream;

/// Registers an `async fn` as a route of the worker.
///
/// The first key picks the backend: `amqp`, `http`, `sse`, `sqs`, `every` or `cron`.
///
/// ```ignore
/// use asyncworker::prelude::*;
///
/// /// Called with up to 100 orders at a time, from two queues.
/// #[route(amqp = ["orders", "orders.priority"], bulk_size = 100, bulk_flush = "500ms")]
/// async fn drain(db: State<Db>, messages: Vec<Message<Order>>) -> anyhow::Result<()> {
///     db.store(&messages).await?;
///     Ok(()) // every message not marked otherwise is acked
/// }
/// ```
///
/// # HTTP arguments
///
/// | key | value | default |
/// |---|---|---|
/// | `http` | `["/path", ...]`: at least one, each starting with `/`, parameters as `{name}` or a final `{*rest}`, no repeats | required |
/// | `methods` | `["GET", "POST", ...]`: upper case, among GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS, TRACE, CONNECT | `["GET"]` |
/// | `name` | `"..."`, used in logs and `--routes` | the function name |
///
/// The function is an axum handler whose state is the worker's `App`: each argument is
/// checked at its type (head extractors first, one body extractor last), the return type
/// must implement `IntoResponse`, and the future must be `Send`. The expansion checks these,
/// finds the `State<T>` arguments (so missing state is reported at startup), and registers an
/// `HttpRouteDef` with the paths, the methods and a factory of the handler.
///
/// # Schedule arguments (`every = "30s"` or `cron = "*/5 * * * *"`)
///
/// | key | value | default |
/// |---|---|---|
/// | `every` | a positive duration: run at this fixed rate | — |
/// | `cron` | a cron expression: five fields (minute precision, `"*/5 * * * *"`), or six or seven with seconds first (`"30 */5 * * * *"`, `[year]`) | — |
/// | `tz` | on `cron` routes, the IANA zone its fields are read in (`"Europe/Berlin"`): a local time skipped by daylight saving does not fire, a repeated one fires once | UTC |
/// | `name` | the route's name | the function's name |
/// | `max_concurrency` | runs in flight at once; a tick finding that many is skipped | 1 |
/// | `immediately` | also run once at start (not with `singleton`) | `false` |
/// | `singleton` | `true`: fire on one replica only, the holder of the lease `asyncworker.lease.<app>.<route>` (needs the `amqp` feature); `every` ticks fall on multiples of the period since the epoch | `false` |
/// | `timeout` | a run taking longer is cancelled and counted | none |
///
/// A scheduled handler takes only extractors (`App`, `State<T>`, `RunKey`) and returns `()` or
/// `Result<(), E>`; an invalid duration, cron expression or time zone is a compile error at the
/// literal.
///
/// # AMQP arguments
///
/// | key | value | default |
/// |---|---|---|
/// | `amqp` | `["queue", ...]`: at least one queue, each 1..=255 bytes, no repeats | required |
/// | `name` | `"..."`, used in logs, metrics and health | the function name |
/// | `vhost` | `"..."` | from the settings |
/// | `connection` | `"..."`, a named connection | the default one |
/// | `bulk_size` | `1..=65535`: the handler receives up to N messages | `1` |
/// | `bulk_flush` | duration: hand over a non-full bulk after its oldest message waited this long | `"1s"` |
/// | `prefetch` | `1..=65535`, at least `bulk_size` | computed by the runtime |
/// | `concurrency` | `1..=65535` handler calls at once | `1` |
/// | `on_success` | `"ack"`, `"reject"` or `"requeue"` | `"ack"` |
/// | `on_exception` | the same; for `Err`, panics and timeouts | `"requeue"` |
/// | `on_decode_error` | the same; for a body that does not decode | `"reject"` |
/// | `timeout` | duration | none |
/// | `retries` | `0..=10000` delayed retries after the first failure; `0` only with `dead_letter` | `0`: no delayed retry |
/// | `retry_delay` | duration, `1ms` to `4294967295ms` (about 49 days), or a growing list of them, one per tier (at most `retries`); only with `retries = N`, N ≥ 1 | `"10s"` |
/// | `dead_letter` | `"..."`: parking queue for messages that failed their last attempt; 1..=255 bytes, neither one of the route's queues nor `<queue>.retry` | none: rejected |
/// | `declare` | `true` or `false`: declare the queues (durable) and their retry/parking queues at startup | `false` |
/// | `queue_type` | `"classic"` or `"quorum"`; only with `declare = true` | `"classic"` |
/// | `bind` | `["exchange:routing.key", ...]`, split at the first `:` (empty key allowed); only with `declare = true` | none |
/// | `exchange_type` | `"direct"`, `"topic"`, `"fanout"` or `"headers"`: the exchanges in `bind` | `"topic"` |
/// | `bind_headers` | `["x-match=all", "name=value", ...]`; only with `exchange_type = "headers"`, which needs it | none |
/// | `max_length` | `x-max-length` of the route's queues, at least 1 | none |
/// | `overflow` | `"drop-head"`, `"reject-publish"` or `"reject-publish-dlx"` (not on quorum queues); only with `max_length` | RabbitMQ's: `"drop-head"` |
/// | `message_ttl` | duration, at most `4294967295ms` | none |
/// | `delivery_limit` | `x-delivery-limit`, at least 1; only with `queue_type = "quorum"` | none |
/// | `single_active` | `true`: single active consumer; one replica consumes, in queue order with `concurrency = 1` (README: Ordered consumption across replicas) | `false` |
///
/// `bind`, `exchange_type`, `bind_headers` and the queue arguments shape what `declare = true`
/// creates, so each needs it. They apply to the route's queues, not to the retry and parking
/// queues; with `dead_letter`, the route's queues also dead-letter to the parking queue, so
/// `reject()` parks a message rather than dropping it.
/// | `max_redeliveries` | `0..=65535` deliveries of an always-failing message before the poison guard rejects it; `0`: no guard; not with `retries`, `dead_letter` or an `on_exception` other than `"requeue"` | the worker's `amqp_max_redeliveries` (20) |
///
/// Durations are strings of `<integer><unit>` segments with units `ms`, `s`, `m`, `h`:
/// `"250ms"`, `"1s"`, `"1m30s"`.
///
/// ## Delayed retries and dead letters
///
/// With `retries = N`, a message whose handler failed (`Err`, panic, timeout) is republished to
/// `<queue>.retry`, a queue whose message TTL is `retry_delay` and whose dead-letter target is
/// the original queue, and comes back after that delay: the handler sees a message at most
/// N + 1 times. After the last attempt it goes to `dead_letter` if set (with the error text in
/// a header), else it is rejected. `retries = 0, dead_letter = "..."` parks a failed message at
/// once. A `dead_letter` naming one of the route's queues, or one of their `.retry` queues, is a
/// compile error: the failed message would come back to the handler forever.
///
/// `retry_delay = ["1s", "30s", "5m"]` gives each tier a retry queue of its own, named by its
/// delay (`orders.retry.1s`, `orders.retry.30s`, `orders.retry.5m`); attempt n waits in tier
/// min(n, tiers). The delays must grow, and a tier no retry reaches is a compile error.
///
/// Without `retries` or `dead_letter`, failed messages are requeued (`on_exception`), and the
/// poison guard slows a message that keeps failing down (a growing hold before each requeue)
/// and rejects it after `max_redeliveries` deliveries.
///
/// ```ignore
/// /// Tried 4 times, 30 seconds apart; then parked in `orders.parking`. The route declares
/// /// `orders`, `orders.retry` and `orders.parking` as quorum queues at startup.
/// #[route(
///     amqp = ["orders"],
///     retries = 3,
///     retry_delay = "30s",
///     dead_letter = "orders.parking",
///     declare = true,
///     queue_type = "quorum",
/// )]
/// async fn store(db: State<Db>, messages: Vec<Message<Order>>) -> anyhow::Result<()> {
///     db.store(&messages).await
/// }
/// ```
///
/// A `retry_delay` without `retries`, a `queue_type` without `declare = true` or an unknown
/// queue type is a compile error at the offending token, like every other mistake.
///
/// The function must be a free, non-generic `async fn` taking at least its messages. Its
/// argument and return types are checked by the runtime's handler traits, each at its own type,
/// and its future must be `Send`.
///
/// A plain (non-async) `fn` is a blocking handler, for every backend: it is called on tokio's
/// blocking pool through an emitted async adapter, and a panic in it is handled like any
/// handler's panic. Its argument and return types must be `Send + 'static` and named (no
/// `impl Trait`).
///
/// # SQS arguments
///
/// | key | value | default |
/// |---|---|---|
/// | `sqs` | `["queue", ...]`: at least one, no repeats; each a queue name (1 to 80 ASCII letters, digits, `-` and `_`, optionally ending in `.fifo`, which counts) or a queue URL (`http://` or `https://`, a host and a path) | required |
/// | `name` | `"..."`, used in logs, metrics and health | the function name |
/// | `bulk_size` | `1..=65535`: the handler receives up to N messages | `1` |
/// | `bulk_flush` | duration: hand over a non-full bulk after its oldest message waited this long | the runtime's |
/// | `concurrency` | `1..=65535` handler calls at once | the runtime's |
/// | `on_success`, `on_exception`, `on_decode_error` | `"ack"`, `"reject"` or `"requeue"` | the runtime's |
/// | `timeout` | duration | none |
/// | `wait_time` | whole seconds from `"0s"` to `"20s"`: the long-poll wait of each ReceiveMessage | the runtime's |
/// | `visibility_timeout` | whole seconds from `"1s"` to `"12h"`, asked for each received message | the runtime's |
/// | `retries` | `0..=10000` delayed retries after the first failure; `0` only with `dead_letter` | the runtime's |
/// | `retry_delay` | whole seconds from `"1s"` to `"12h"` (SQS counts visibility in seconds), or a growing list of them, one per tier (at most `retries`); only with `retries = N`, N ≥ 1 | the runtime's |
/// | `dead_letter` | a queue name or URL, by the rules of `sqs`, that is not one of the route's queues | none |
/// | `error_handler`, `codec`, `publishes` | as on AMQP routes | none |
///
/// FIFO and standard queues may be mixed in one route. The handler takes its messages last, as
/// `Vec<SqsMessage<T>>` (or one `SqsMessage<T>` when `bulk_size = 1`), and `T` picks the codec
/// as on AMQP routes. Keys of other backends (`prefetch`, `declare`...) are compile errors at
/// the key.
///
/// # What a route publishes (`publishes`, every backend)
///
/// `publishes = [...]` declares what the handler publishes with `app.amqp()`, for the AsyncAPI
/// document (`--asyncapi`): each entry is a target written as `bind` writes it,
/// `"exchange:routing.key"` (`":queue"` for the default exchange, which routes to the queue
/// named by the key), optionally preceded by the body's type and `=>`:
///
/// ```ignore
/// /// Turns each order into an invoice.
/// #[route(amqp = ["orders"], publishes = [Invoice => "billing:invoice.created", ":audit"])]
/// async fn bill(app: App, orders: Vec<Message<Order>>) -> anyhow::Result<()> {
///     for o in &orders {
///         app.amqp().publish("billing", "invoice.created", &Invoice::of(o.body())).await?;
///     }
///     Ok(())
/// }
/// ```
///
/// A typed entry shows the type's JSON Schema when it derives `JsonSchema` (the `schema`
/// feature), else free-form JSON, as an untyped entry does: never a compile error. A target
/// without `:`, an empty list or a target listed twice is an error at the token. It is a
/// declaration for the documents: nothing checks at run time that the handler publishes only
/// what it declares.
///
/// # Expansion
///
/// The function is kept as written (and stays callable, e.g. from unit tests). The first
/// example (`drain`) also produces, roughly (the crate's `tests/expand/*.expanded.rs` show the
/// exact expansion of each route kind):
///
/// ```ignore
/// // The backend's gate, spanned at the `amqp` key: without the runtime's `amqp` feature, the
/// // registration is replaced by one error there, asking to enable it.
/// ::asyncworker::__private::backend_amqp! {
///     #[doc(hidden)]
///     const _: () = {
///         // Each part of the signature checked at its own type, so that a mistake is reported
///         // there with a targeted message ("`Arc<Db>` cannot be a handler argument", ...).
///         fn __asyncworker_check_signature() {
///             ::asyncworker::__private::assert_extractor::<State<Db>>();
///             ::asyncworker::__private::assert_messages::<Vec<Message<Order>>, 100u16>();
///             ::asyncworker::__private::assert_handler_return::<anyhow::Result<()>>();
///         }
///         // Names the value held across an `.await` when the future is not `Send`.
///         fn __asyncworker_assert_send(__arg0: State<Db>, __arg1: Vec<Message<Order>>) {
///             ::asyncworker::__private::assert_send_future(drain(__arg0, __arg1));
///         }
///         fn __asyncworker_factory() -> ::asyncworker::__private::AmqpFactory {
///             ::asyncworker::__private::amqp_factory::<100u16, _, _>(drain)
///         }
///         ::asyncworker::__private::inventory::submit! {
///             ::asyncworker::__private::AmqpRouteDef {
///                 name: "drain",
///                 module_path: ::core::module_path!(),
///                 file: ::core::file!(),
///                 line: ::core::line!(),
///                 doc: "", // the handler's `///` comment, for the documents
///                 queues: &["orders", "orders.priority"],
///                 options: ::asyncworker::__private::AmqpOptions {
///                     bulk_size: 100u16,
///                     bulk_flush_ms: 500u64,
///                     // Only the options written are emitted; `store` above would have here:
///                     // retries: 3u16, retry_delay_ms: 30000u64,
///                     // dead_letter: ::core::option::Option::Some("orders.parking"),
///                     // declare: true, queue_type: ::asyncworker::__private::QueueType::Quorum,
///                     ..::asyncworker::__private::AmqpOptions::DEFAULT
///                 },
///                 factory: __asyncworker_factory,
///             }
///         }
///     };
/// }
/// ```
///
/// To read the real expansion, run `cargo expand path::to::module`; `inventory::submit!`
/// further expands to a `#[link_section]` static and a constructor function, which is expected.
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(attr.into(), item.into()).into()
}

/// Runs an `async fn(app: &App)` at startup, before any route starts.
///
/// The function returns `()` or a `Result<(), E>`; an error aborts start-up with a non-zero
/// exit code. Hooks run one at a time, sorted by `(order, module path, name)`; `order` is an
/// optional `i32` (default `0`).
///
/// ```ignore
/// #[on_startup(order = -5)]
/// async fn connect(app: &App) -> anyhow::Result<()> {
///     app.insert(Db::connect().await?);
///     Ok(())
/// }
/// ```
///
/// Expands to the unchanged function plus (hooks need no backend, so there is no gate):
///
/// ```ignore
/// #[doc(hidden)]
/// const _: () = {
///     fn __asyncworker_hook<'a>(
///         __asyncworker_app: &'a ::asyncworker::__private::App,
///     ) -> ::asyncworker::__private::BoxFuture<'a, ::asyncworker::__private::HookResult> {
///         // The output type is named (when written) so that a wrong one is reported at it.
///         ::asyncworker::__private::box_hook::<anyhow::Result<()>, _>(connect(__asyncworker_app))
///     }
///     ::asyncworker::__private::inventory::submit! {
///         ::asyncworker::__private::HookDef {
///             name: "connect",
///             module_path: ::core::module_path!(),
///             file: ::core::file!(),
///             line: ::core::line!(),
///             kind: ::asyncworker::__private::HookKind::Startup,
///             order: -5i32,
///             run: __asyncworker_hook,
///         }
///     }
/// };
/// ```
#[proc_macro_attribute]
pub fn on_startup(attr: TokenStream, item: TokenStream) -> TokenStream {
    hooks::expand(hooks::HookKind::Startup, attr.into(), item.into()).into()
}

/// Runs an `async fn(app: &App)` at shutdown, after every route has drained.
///
/// Same form and `order = N` argument as [`macro@on_startup`]; shutdown hooks run in reverse
/// order. A failing shutdown hook is logged and the others still run.
///
/// ```ignore
/// #[on_shutdown(order = 3)]
/// async fn close(app: &App) {
///     app.state::<Db>().close().await;
/// }
/// ```
///
/// Expands like `#[on_startup]`, with `kind: ::asyncworker::__private::HookKind::Shutdown`.
#[proc_macro_attribute]
pub fn on_shutdown(attr: TokenStream, item: TokenStream) -> TokenStream {
    hooks::expand(hooks::HookKind::Shutdown, attr.into(), item.into()).into()
}
