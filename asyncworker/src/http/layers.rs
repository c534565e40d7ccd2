//! Tower layers around the HTTP routes: [`Layers`] (what a user builds), [`HttpLayers`] (the
//! function that builds them, for `main!(http_layers = ...)` and `layers = ...` on a route),
//! the worker-wide layers startup hooks add, and the count of the answers a layer gives
//! without calling the route (an auth layer's 401).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, Route};
use tower::{Layer, Service};

use super::guard::RouteStats;
use crate::app::{App, Resource, StateError};
use crate::future::BoxFuture;

/// One layer, applied to the method router of one path.
type Apply = Arc<dyn Fn(MethodRouter<App>) -> MethodRouter<App> + Send + Sync>;

/// Tower layers to put around HTTP routes: tower-http's CORS, compression and request ids,
/// your authentication, any [`tower::Layer`] axum's `Router::layer` takes.
///
/// Each layer added wraps those added before it, as with axum's `Router::layer`: the last one
/// sees the request first. Where they apply:
///
/// - **every route of yours**: from [`main!`](crate::main)`(http_layers = path::to::fn)` and
///   from [`App::http_layers`] in an `#[on_startup]` hook (the `main!` ones innermost, then
///   the hooks' in the order they ran); also around the 405 answers of your paths, so that a
///   CORS preflight (`OPTIONS`) is answered on any path of yours;
/// - **one route**: `#[route(http = ["/admin"], layers = path::to::fn)]`, inside the
///   worker-wide ones.
///
/// The built-in endpoints (`/health/*`, `/metrics`) and the 404 answer are under none of
/// them: an authentication layer never locks out the orchestrator's probes or Prometheus.
/// The layers sit outside asyncworker's guard (load shedding, body limit, request timeout,
/// panic catching), so the request timeout does not bound the time spent in a layer; an
/// answer a layer gives itself (a 401) is still counted in
/// `asyncworker_http_requests_total` under the route's path.
///
/// ```no_run
/// use asyncworker::http::axum::middleware::{Next, from_fn};
/// use asyncworker::http::{HttpError, HttpLayers, IntoResponse, Layers, Request, Response, StatusCode, header};
/// use asyncworker::prelude::*;
///
/// /// Every route: a header on every answer (stand-in for CORS, compression, request ids).
/// fn api_layers() -> Layers {
///     Layers::new().layer(from_fn(|req: Request, next: Next| async move {
///         let mut res = next.run(req).await;
///         res.headers_mut().insert("x-served-by", "orders".parse().unwrap());
///         res
///     }))
/// }
///
/// /// The admin route only: a bearer token, else 401.
/// async fn require_token(req: Request, next: Next) -> Response {
///     match req.headers().get(header::AUTHORIZATION) {
///         Some(v) if v == "Bearer s3cret" => next.run(req).await,
///         _ => HttpError::new(StatusCode::UNAUTHORIZED, "a bearer token is required").into_response(),
///     }
/// }
///
/// fn admin_layers() -> Layers {
///     Layers::new().layer(from_fn(require_token))
/// }
///
/// #[route(http = ["/admin"], layers = admin_layers)]
/// async fn admin() -> &'static str {
///     "admin"
/// }
///
/// #[on_startup]
/// async fn init(app: &App) -> Result<(), asyncworker::StateError> {
///     // or from a hook, e.g. with what the settings say
///     app.http_layers(Layers::new().layer(from_fn(|req: Request, next: Next| next.run(req))))
/// }
///
/// asyncworker::main!(http_layers = api_layers);
/// # const _: HttpLayers = api_layers;
/// ```
#[derive(Clone, Default)]
pub struct Layers {
    each: Vec<Apply>,
}

impl Layers {
    /// No layer.
    pub fn new() -> Layers {
        Layers::default()
    }

    /// These layers with `layer` around them.
    pub fn layer<L>(mut self, layer: L) -> Layers
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.each.push(Arc::new(move |routes: MethodRouter<App>| {
            routes.layer(layer.clone())
        }));
        self
    }

    /// Whether no layer was added.
    pub fn is_empty(&self) -> bool {
        self.each.is_empty()
    }

    /// These layers, then `outer` around them.
    pub(crate) fn then(mut self, outer: Layers) -> Layers {
        self.each.extend(outer.each);
        self
    }

    /// `routes` under these layers.
    pub(crate) fn apply(&self, routes: MethodRouter<App>) -> MethodRouter<App> {
        self.each.iter().fold(routes, |routes, layer| layer(routes))
    }
}

impl std::fmt::Debug for Layers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Layers({} layer(s))", self.each.len())
    }
}

/// A function building [`Layers`]: the value of `main!(http_layers = ...)` and of
/// `#[route(http = [...], layers = ...)]`.
pub type HttpLayers = fn() -> Layers;

/// What `layers = path` on a route generates, called at the user's path so that a function
/// of another type is reported there.
pub const fn http_route_layers(layers: HttpLayers) -> Option<HttpLayers> {
    Some(layers)
}

/// What a route without `layers` registers.
pub const NO_HTTP_LAYERS: Option<HttpLayers> = None;

/// The worker-wide layers the startup hooks added, in order.
#[derive(Default)]
struct HookLayers(Mutex<Vec<Layers>>);

impl Resource for HookLayers {
    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl App {
    /// Puts `layers` around every HTTP route of yours (see [`Layers`] for where they apply
    /// and in which order). Call it from an `#[on_startup]` hook: once the hooks have run,
    /// the routes are built and this is refused.
    ///
    /// ```
    /// # use asyncworker::prelude::*;
    /// use asyncworker::http::Layers;
    ///
    /// use asyncworker::http::Request;
    /// use asyncworker::http::axum::middleware::{Next, from_fn};
    ///
    /// #[on_startup]
    /// async fn layers(app: &App) -> Result<(), asyncworker::StateError> {
    ///     // e.g. log every request to your routes
    ///     app.http_layers(Layers::new().layer(from_fn(|req: Request, next: Next| {
    ///         println!("{} {}", req.method(), req.uri());
    ///         next.run(req)
    ///     })))
    /// }
    /// ```
    pub fn http_layers(&self, layers: Layers) -> Result<(), StateError> {
        if self.is_frozen() {
            return Err(StateError::Frozen {
                type_name: "asyncworker::http::Layers",
            });
        }
        let hooks = self.resource(|_| HookLayers::default());
        hooks
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(layers);
        Ok(())
    }
}

/// The layers around every route of the worker: `main!`'s, then the hooks'.
pub(crate) fn worker_layers(app: &App) -> Layers {
    let mut all = app
        .settings()
        .http_layers
        .map_or_else(Layers::new, |layers| layers());
    let hooks = app.resource(|_| HookLayers::default());
    for layers in crate::sync::lock(&hooks.0).iter() {
        all = all.then(layers.clone());
    }
    all
}

/// Marks a response the guard has counted, so that [`CountLayer`] does not count it again.
#[derive(Clone, Copy)]
pub(crate) struct Counted;

/// Outside the layers of a path: counts the answers that did not come through the guard (a
/// layer answered without calling the route).
#[derive(Clone)]
pub(crate) struct CountLayer {
    pub(crate) stats: Arc<RouteStats>,
}

impl<S> Layer<S> for CountLayer {
    type Service = Count<S>;

    fn layer(&self, inner: S) -> Count<S> {
        Count {
            inner,
            stats: Arc::clone(&self.stats),
        }
    }
}

/// The service of [`CountLayer`].
#[derive(Clone)]
pub(crate) struct Count<S> {
    inner: S,
    stats: Arc<RouteStats>,
}

impl<S> Service<Request> for Count<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let start = Instant::now();
        let method = req.method().clone();
        let stats = Arc::clone(&self.stats);
        let answer = self.inner.call(req);
        Box::pin(async move {
            let mut res = answer.await?;
            if res.extensions_mut().remove::<Counted>().is_none() {
                stats.record(&method, res.status(), start.elapsed());
            }
            Ok(res)
        })
    }
}
