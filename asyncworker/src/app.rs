//! The application handle shared by hooks and handlers.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio_util::sync::CancellationToken;

use crate::future::BoxFuture;
use crate::observe::health::Health;
use crate::observe::metrics::Metrics;
use crate::settings::Settings;

/// A cheap, cloneable handle to the running worker: typed state, settings and shutdown.
///
/// Startup hooks receive `&App` and [`insert`](App::insert) the state that handlers need;
/// handlers ask for it with the [`State<T>`] extractor or [`App::state`]. When startup ends the
/// state is frozen: later inserts return [`StateError::Frozen`].
///
/// ```
/// use asyncworker::App;
///
/// struct Pool {
///     url: &'static str,
/// }
///
/// let app = App::for_tests();
/// app.insert(Pool { url: "postgres://127.0.0.1/test" }).unwrap();
/// assert_eq!(app.state::<Pool>().url, "postgres://127.0.0.1/test");
/// ```
#[derive(Clone)]
pub struct App {
    inner: Arc<AppInner>,
}

struct AppInner {
    state: RwLock<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    frozen: AtomicBool,
    settings: Settings,
    shutdown: CancellationToken,
    health: Health,
    metrics: Metrics,
    http_addr: std::sync::OnceLock<std::net::SocketAddr>,
    resources: Resources,
    /// Set by [`Worker::check`](crate::Worker::check): the hooks run under `--check`.
    check: AtomicBool,
    /// The framework's time (virtual under the testing harness).
    clock: crate::clock::Clock,
}

/// What a backend keeps on the handle for the worker's whole life (the AMQP publisher
/// connections): created on first use, closed once when the worker stops, after the shutdown
/// hooks (which may still use it). Separate from the user's state, which is frozen at startup
/// and which users see.
pub(crate) trait Resource: Any + Send + Sync {
    /// Releases what the resource holds; further use should fail cleanly.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// The backends' resources by type, and the order they were created in (closed in reverse).
#[derive(Default)]
struct Resources {
    by_type: Mutex<HashMap<TypeId, Arc<dyn Resource>>>,
    order: Mutex<Vec<Arc<dyn Resource>>>,
}

/// Why [`App::insert`] or [`App::try_state`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateError {
    /// `insert` was called after startup ended; state is read-only from then on.
    Frozen {
        /// The type that was being inserted.
        type_name: &'static str,
    },
    /// No startup hook inserted a value of this type.
    Missing {
        /// The type that was asked for.
        type_name: &'static str,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Frozen { type_name } => write!(
                f,
                "cannot insert `{type_name}`: state is frozen once startup hooks have run; insert it from an #[on_startup] hook"
            ),
            StateError::Missing { type_name } => write!(
                f,
                "no state of type `{type_name}`: insert it with `app.insert(...)` in an #[on_startup] hook"
            ),
        }
    }
}

impl std::error::Error for StateError {}

impl App {
    pub(crate) fn new(settings: Settings) -> Self {
        App::with_clock(settings, crate::clock::Clock::Real)
    }

    /// A handle whose framework deadlines run on `clock` (the harness's virtual clock).
    pub(crate) fn with_clock(settings: Settings, clock: crate::clock::Clock) -> Self {
        App {
            inner: Arc::new(AppInner {
                state: RwLock::new(HashMap::new()),
                frozen: AtomicBool::new(false),
                shutdown: CancellationToken::new(),
                health: Health::default(),
                metrics: Metrics::new(),
                http_addr: std::sync::OnceLock::new(),
                resources: Resources::default(),
                check: AtomicBool::new(false),
                clock,
                settings,
            }),
        }
    }

    /// An `App` with default settings, for unit tests of code that takes `&App` (feature
    /// `testing`).
    #[cfg(any(test, feature = "testing"))]
    pub fn for_tests() -> Self {
        App::new(Settings::default())
    }

    /// Stores `value` as shared state of type `T`, replacing any earlier value of that type.
    ///
    /// Only allowed while startup hooks run (or before the worker starts).
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) -> Result<(), StateError> {
        if self.is_frozen() {
            return Err(StateError::Frozen {
                type_name: type_name::<T>(),
            });
        }
        self.inner
            .state
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(TypeId::of::<T>(), Arc::new(value));
        Ok(())
    }

    /// The state of type `T`, or an error naming the type if no hook inserted it.
    pub fn try_state<T: Send + Sync + 'static>(&self) -> Result<State<T>, StateError> {
        let any = self
            .inner
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&TypeId::of::<T>())
            .cloned()
            .ok_or(StateError::Missing {
                type_name: type_name::<T>(),
            })?;
        let typed = any
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("state map is keyed by TypeId"));
        Ok(State(typed))
    }

    /// The state of type `T`.
    ///
    /// # Panics
    /// If no hook inserted a `T`. Routes that take `State<T>` are checked at startup, so prefer
    /// the extractor; use [`App::try_state`] where absence is expected.
    pub fn state<T: Send + Sync + 'static>(&self) -> State<T> {
        match self.try_state() {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    pub(crate) fn has_state(&self, id: TypeId) -> bool {
        self.inner
            .state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&id)
    }

    /// Whether the startup hooks have run (state and layers can no longer be added).
    pub(crate) fn is_frozen(&self) -> bool {
        self.inner.frozen.load(Ordering::Acquire)
    }

    pub(crate) fn freeze(&self) {
        self.inner.frozen.store(true, Ordering::Release);
    }

    /// The backend resource of type `R`, created from the settings on first use.
    #[allow(
        dead_code,
        reason = "used by the backends that have resources, which may be compiled out"
    )]
    pub(crate) fn resource<R: Resource>(&self, create: impl FnOnce(&Settings) -> R) -> Arc<R> {
        let mut by_type = lock(&self.inner.resources.by_type);
        let any: Arc<dyn Resource> = match by_type.get(&TypeId::of::<R>()) {
            Some(r) => Arc::clone(r),
            None => {
                let r: Arc<dyn Resource> = Arc::new(create(&self.inner.settings));
                by_type.insert(TypeId::of::<R>(), Arc::clone(&r));
                lock(&self.inner.resources.order).push(Arc::clone(&r));
                r
            }
        };
        let any: Arc<dyn Any + Send + Sync> = any;
        any.downcast::<R>()
            .unwrap_or_else(|_| unreachable!("resources are keyed by TypeId"))
    }

    /// The backend resource of type `R`, if one was created (or put there by the harness).
    #[cfg(feature = "testing")]
    pub(crate) fn existing_resource<R: Resource>(&self) -> Option<Arc<R>> {
        let r = Arc::clone(lock(&self.inner.resources.by_type).get(&TypeId::of::<R>())?);
        let any: Arc<dyn Any + Send + Sync> = r;
        any.downcast::<R>().ok()
    }

    /// Puts `resource` on the handle, as if created there (the harness's in-memory
    /// transports, made before the backends look for them).
    #[cfg(feature = "testing")]
    pub(crate) fn put_resource<R: Resource>(&self, resource: Arc<R>) {
        let r: Arc<dyn Resource> = resource;
        lock(&self.inner.resources.by_type).insert(TypeId::of::<R>(), Arc::clone(&r));
        lock(&self.inner.resources.order).push(r);
    }

    /// Closes every resource, the last created first; called once the shutdown hooks ran.
    pub(crate) async fn close_resources(&self) {
        let all: Vec<_> = lock(&self.inner.resources.order).drain(..).rev().collect();
        for r in all {
            r.close().await;
        }
    }

    /// Whether the worker runs under `--check` ([`Worker::check`](crate::Worker::check)):
    /// the startup hooks run so that the readiness checks they register can be run, then the
    /// shutdown hooks, but no route consumes or serves anything. A hook can skip its side
    /// effects (migrations, announcing itself, warming a cache) when this is true, and still
    /// connect its clients and register their checks.
    ///
    /// ```
    /// use asyncworker::prelude::*;
    ///
    /// #[on_startup]
    /// async fn migrate(app: &App) -> Result<(), String> {
    ///     if app.is_check() {
    ///         // `--check` verifies; it must not change the database.
    ///         return Ok(());
    ///     }
    ///     // ... run the migrations ...
    ///     Ok(())
    /// }
    /// # fn main() {}
    /// ```
    pub fn is_check(&self) -> bool {
        self.inner.check.load(Ordering::Relaxed)
    }

    /// Marks this handle as the one `--check` runs the hooks with.
    pub(crate) fn set_check(&self) {
        self.inner.check.store(true, Ordering::Relaxed);
    }

    /// The settings the worker runs with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Asks the worker to shut down gracefully, as SIGTERM would.
    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
    }

    /// Resolves when shutdown has begun; useful in long-running handlers that want to stop early.
    pub async fn shutdown_requested(&self) {
        self.inner.shutdown.cancelled().await;
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    /// Readiness of the worker's parts.
    pub fn health(&self) -> &Health {
        &self.inner.health
    }

    /// The worker's Prometheus metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The address the HTTP server listens on, once it is bound (useful with port 0).
    ///
    /// ```
    /// assert_eq!(asyncworker::App::for_tests().http_addr(), None);
    /// ```
    pub fn http_addr(&self) -> Option<std::net::SocketAddr> {
        self.inner.http_addr.get().copied()
    }

    pub(crate) fn set_http_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.inner.http_addr.set(addr);
    }

    pub(crate) fn clock(&self) -> &crate::clock::Clock {
        &self.inner.clock
    }

    pub(crate) fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("frozen", &self.inner.frozen.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

use crate::sync::lock;

/// Extractor for shared state inserted by a startup hook.
///
/// Derefs to `T`. A route that takes `State<T>` when no hook inserted a `T` is reported when
/// the worker starts, before any message is consumed.
///
/// ```
/// use asyncworker::prelude::*;
///
/// struct Totals {
///     seen: std::sync::atomic::AtomicUsize,
/// }
///
/// #[route(amqp = ["counts"], bulk_size = 10)]
/// async fn count(totals: State<Totals>, messages: Vec<Message<u64>>) {
///     totals.seen.fetch_add(messages.len(), std::sync::atomic::Ordering::Relaxed);
/// }
/// # fn main() {}
/// ```
pub struct State<T: ?Sized>(Arc<T>);

impl<T: ?Sized> State<T> {
    /// The shared pointer behind this state.
    pub fn arc(&self) -> &Arc<T> {
        &self.0
    }
}

impl<T: ?Sized> Clone for State<T> {
    fn clone(&self) -> Self {
        State(Arc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&&*self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_then_freeze() {
        let app = App::for_tests();
        app.insert(5u32).unwrap();
        assert_eq!(*app.state::<u32>(), 5);
        app.freeze();
        assert_eq!(
            app.insert(6u32),
            Err(StateError::Frozen { type_name: "u32" })
        );
        assert_eq!(*app.state::<u32>(), 5);
    }

    #[test]
    fn missing_state_names_the_type() {
        let app = App::for_tests();
        let err = app.try_state::<String>().unwrap_err();
        assert!(err.to_string().contains("alloc::string::String"), "{err}");
    }
}
