//! The accept loop: hyper 1.x HTTP/1.1 with a timer (so the header read timeout works at
//! all), a connection cap, and a graceful shutdown bounded by the worker's deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use futures_util::task::AtomicWaker;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::Service as _;

use crate::settings::Settings;

/// What the server needs from the settings.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_header_size: usize,
}

impl ServerConfig {
    /// The server's part of `settings`.
    pub(crate) fn new(settings: &Settings) -> ServerConfig {
        ServerConfig {
            host: settings.http_host.clone(),
            port: settings.http_port,
            header_read_timeout: settings.http_header_read_timeout,
            max_connections: settings.http_max_connections,
            max_header_size: settings.http_max_header_size,
        }
    }
}

/// A listener on the configured address; the error names the settings to change.
pub(crate) async fn bind(config: &ServerConfig) -> Result<TcpListener, String> {
    let host = config.host.trim_start_matches('[').trim_end_matches(']');
    TcpListener::bind((host, config.port)).await.map_err(|e| {
        format!(
            "cannot listen on {}:{} (ASYNCWORKER_HTTP_HOST, ASYNCWORKER_HTTP_PORT): {e}",
            config.host, config.port
        )
    })
}

/// Serves until `stop`; then stops accepting, asks every connection to close once its
/// in-flight request is answered (idle ones close at once), and waits for them up to
/// `deadline`, after which the rest are dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    config: &ServerConfig,
    stop: CancellationToken,
    deadline: Duration,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    // A request head that does not fit `max_buf_size` gets hyper's 431 and the connection is
    // closed; the settings keep it at or above hyper's minimum (8192), below which it panics.
    builder
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(config.max_header_size)
        .keep_alive(true);
    let permits = Arc::new(Semaphore::new(config.max_connections));
    let closing = Arc::new(Closing::default());
    let mut connections = JoinSet::new();
    while let Some((stream, permit)) = accept(&listener, &permits, &stop).await {
        // Reap the connections that ended, or the set would keep one entry per connection
        // ever served.
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(
            stream,
            router.clone(),
            builder.clone(),
            closing.subscribe(),
            permit,
        ));
    }
    drop(listener);
    closing.close();
    tracing::info!(
        connections = connections.len(),
        deadline = ?deadline,
        "HTTP: stopped accepting; finishing in-flight requests"
    );
    crate::drain::drain(
        &mut connections,
        deadline,
        "HTTP",
        "closing the connections still busy",
    )
    .await;
}

/// The next connection, with its permit; `None` once `stop` is cancelled. The permit comes
/// first: past `max_connections`, the next clients wait in the listen backlog rather than
/// being accepted and left unserved.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
    stop: &CancellationToken,
) -> Option<(TcpStream, OwnedSemaphorePermit)> {
    let permit = tokio::select! {
        biased;
        () = stop.cancelled() => return None,
        permit = Arc::clone(permits).acquire_owned() => permit.ok()?,
    };
    loop {
        let accepted = tokio::select! {
            biased;
            () = stop.cancelled() => return None,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => return Some((stream, permit)),
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                // EMFILE and friends: back off instead of spinning, as hyper and axum do.
                tracing::warn!(error = %e, "HTTP accept failed; retrying in 1 s");
                tokio::select! {
                    () = stop.cancelled() => return None,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
}

/// Serves one connection until it ends, closing it gracefully once the server is closing.
async fn connection(
    stream: TcpStream,
    router: Router,
    mut builder: hyper::server::conn::http1::Builder,
    closing: Subscription,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    // Without a timer, hyper ignores the header read timeout (slowloris).
    builder.timer(ConnectionTimer::default());
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut router = router.clone();
        router.call(req)
    });
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    let mut asked_to_close = false;
    let result = std::future::poll_fn(|cx| {
        if !asked_to_close && closing.is_closing(cx) {
            // Closes now if idle, else after the response in flight.
            conn.as_mut().graceful_shutdown();
            asked_to_close = true;
        }
        conn.as_mut().poll(cx)
    })
    .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "HTTP connection ended with an error");
    }
}

/// Tells every connection to close gracefully. Checking it costs a connection an atomic load
/// and a waker registration of its own per wakeup; no lock is shared on the hot path.
#[derive(Default)]
struct Closing {
    closed: AtomicBool,
    subscribers: std::sync::Mutex<(usize, Vec<std::sync::Weak<AtomicWaker>>)>,
}

impl Closing {
    fn subscribe(self: &Arc<Self>) -> Subscription {
        let waker = Arc::new(AtomicWaker::new());
        let mut subs = crate::sync::lock(&self.subscribers);
        subs.0 += 1;
        if subs.0.is_multiple_of(1024) {
            subs.1.retain(|w| w.strong_count() > 0);
        }
        subs.1.push(Arc::downgrade(&waker));
        Subscription {
            closing: Arc::clone(self),
            waker,
        }
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
        let subs = crate::sync::lock(&self.subscribers);
        for waker in subs.1.iter().filter_map(std::sync::Weak::upgrade) {
            waker.wake();
        }
    }
}

/// One connection's view of [`Closing`].
struct Subscription {
    closing: Arc<Closing>,
    waker: Arc<AtomicWaker>,
}

impl Subscription {
    /// Whether the server is closing; if not, the task is woken when it does.
    fn is_closing(&self, cx: &mut Context<'_>) -> bool {
        if self.closing.closed.load(Ordering::Acquire) {
            return true;
        }
        self.waker.register(cx.waker());
        // `close` may have run between the load and the registration.
        self.closing.closed.load(Ordering::Acquire)
    }
}

/// Errors of one incoming connection, not of the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// hyper's timer for one connection. hyper asks for a new sleep for every request head it
/// reads and drops it once the head is in; `hyper_util`'s `TokioTimer` then registers and
/// removes a tokio timer each time, through the timer wheel's lock. Here all the sleeps of a
/// connection share one tokio timer that is never moved forward per request: a new sleep
/// only records its deadline, and when the timer fires before the current deadline (the
/// connection has been busy since), it is re-armed once. So the header read timeout costs a
/// small allocation per request.
#[derive(Clone, Default)]
struct ConnectionTimer {
    /// Fires at or before the deadline of the latest sleep.
    shared: SharedTimer,
}

type SharedTimer = Arc<std::sync::Mutex<Option<Pin<Box<tokio::time::Sleep>>>>>;

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(Instant::now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ConnectionSleep {
            shared: Arc::clone(&self.shared),
            deadline: tokio::time::Instant::from_std(deadline),
        })
    }
}

/// One sleep of a [`ConnectionTimer`].
struct ConnectionSleep {
    shared: SharedTimer,
    deadline: tokio::time::Instant,
}

impl Future for ConnectionSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = crate::sync::lock(&self.shared);
        let deadline = self.deadline;
        let timer = shared.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        loop {
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if timer.deadline() >= deadline {
                return Poll::Ready(());
            }
            // Fired for an earlier request head: wait for this one's deadline.
            timer.as_mut().reset(deadline);
        }
    }
}

impl hyper::rt::Sleep for ConnectionSleep {}
