//! The backend-agnostic dispatcher: decode, bucket, call the handler under a concurrency
//! limit and a timeout, catch panics, and settle every item.
//!
//! It knows nothing of lapin. A backend feeds it [`Inbound`] items through a channel and
//! provides a [`Receipt`] type that knows how to settle them; the dispatcher ends when that
//! channel closes, after handing the partial bucket to the handler and waiting for every
//! handler call it started.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use crate::action::{Action, Mark, Marks};
use crate::app::App;
use crate::bulk::{Bucket, FlushReason};
use crate::handler::BoxError;

/// A route as the dispatcher sees it: how to decode, wrap and call.
pub(crate) trait Route: Send + Sync + 'static {
    /// Backend metadata and raw payload of one item.
    type Envelope: Send + 'static;
    /// The decoded body.
    type Body: Send + 'static;
    /// What the handler receives per item.
    type Item: Send + 'static;

    fn decode(&self, envelope: &Self::Envelope) -> Result<Self::Body, String>;
    /// Where an item came from and its first bytes, for the decode-error log line.
    fn describe(envelope: &Self::Envelope) -> String;
    fn wrap(body: Self::Body, envelope: Self::Envelope, mark: Mark) -> Self::Item;
    fn call(
        &self,
        app: &App,
        items: Vec<Self::Item>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'static>>;
}

/// Settles items with the backend. Implementations batch per channel.
pub(crate) trait Receipt: Send + Sized + 'static {
    fn settle_all(batch: Vec<(Self, Action)>) -> impl Future<Output = ()> + Send;
}

/// One item on its way to a handler.
pub(crate) struct Inbound<E, R> {
    pub(crate) envelope: E,
    pub(crate) receipt: R,
}

/// How a route's bulks are formed and handled.
#[derive(Debug, Clone)]
pub(crate) struct DispatchConfig {
    pub(crate) route: Arc<str>,
    pub(crate) sources: Arc<str>,
    pub(crate) bulk_size: usize,
    pub(crate) bulk_flush: Duration,
    pub(crate) concurrency: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) on_success: Action,
    pub(crate) on_exception: Action,
    pub(crate) on_decode_error: Action,
}

struct Pending<B, E, R> {
    body: B,
    envelope: E,
    receipt: R,
}

/// How a handler call ended.
#[derive(Debug)]
enum Outcome {
    Ok,
    Err(BoxError),
    Panic(String),
    Timeout(Duration),
}

/// Runs until `rx` closes, then flushes and waits for the handler calls it started.
pub(crate) async fn run<Rt, Rc>(
    route: Arc<Rt>,
    cfg: Arc<DispatchConfig>,
    app: App,
    mut rx: mpsc::Receiver<Inbound<Rt::Envelope, Rc>>,
) where
    Rt: Route,
    Rc: Receipt,
{
    let mut bucket: Bucket<Pending<Rt::Body, Rt::Envelope, Rc>> =
        Bucket::new(cfg.bulk_size, cfg.bulk_flush);
    // Dropping the JoinSet (when the backend gives up at the shutdown deadline) aborts the
    // handler calls, leaving their messages unacked for the broker to redeliver.
    let mut running: JoinSet<()> = JoinSet::new();
    // One timer re-armed when the bucket's deadline changes, rather than one per message.
    let timer = tokio::time::sleep(Duration::from_secs(3600));
    tokio::pin!(timer);
    let mut armed: Option<Instant> = None;
    loop {
        let deadline = bucket.deadline();
        if let Some(d) = deadline
            && armed != Some(d)
        {
            timer.as_mut().reset(d);
            armed = Some(d);
        }
        tokio::select! {
            biased;
            Some(_) = running.join_next(), if !running.is_empty() => {}
            item = rx.recv() => match item {
                Some(inbound) => {
                    if let Some(p) = accept(&*route, &cfg, inbound).await
                        && bucket.push(p, Instant::now())
                    {
                        flush(&route, &cfg, &app, &mut bucket, &mut running, FlushReason::Size).await;
                    }
                }
                None => break,
            },
            () = &mut timer, if deadline.is_some() => {
                flush(&route, &cfg, &app, &mut bucket, &mut running, FlushReason::Deadline).await;
            }
        }
    }
    flush(
        &route,
        &cfg,
        &app,
        &mut bucket,
        &mut running,
        FlushReason::Shutdown,
    )
    .await;
    while running.join_next().await.is_some() {}
}

/// Decodes an item; an undecodable one is settled at once and never reaches the bucket.
async fn accept<Rt: Route, Rc: Receipt>(
    route: &Rt,
    cfg: &DispatchConfig,
    inbound: Inbound<Rt::Envelope, Rc>,
) -> Option<Pending<Rt::Body, Rt::Envelope, Rc>> {
    match route.decode(&inbound.envelope) {
        Ok(body) => Some(Pending {
            body,
            envelope: inbound.envelope,
            receipt: inbound.receipt,
        }),
        Err(error) => {
            tracing::warn!(
                route = %cfg.route,
                action = %cfg.on_decode_error,
                item = %Rt::describe(&inbound.envelope),
                %error,
                "message body does not decode; it never reaches the handler"
            );
            Rc::settle_all(vec![(inbound.receipt, cfg.on_decode_error)]).await;
            None
        }
    }
}

async fn flush<Rt: Route, Rc: Receipt>(
    route: &Arc<Rt>,
    cfg: &Arc<DispatchConfig>,
    app: &App,
    bucket: &mut Bucket<Pending<Rt::Body, Rt::Envelope, Rc>>,
    running: &mut JoinSet<()>,
    reason: FlushReason,
) {
    let Some(pending) = bucket.take() else {
        return;
    };
    // The concurrency limit: wait for a running call to finish before starting another.
    while running.len() >= cfg.concurrency {
        running.join_next().await;
    }
    let n = pending.len();
    let marks = Marks::new(n);
    let mut items = Vec::with_capacity(n);
    let mut receipts = Vec::with_capacity(n);
    for (i, p) in pending.into_iter().enumerate() {
        items.push(Rt::wrap(p.body, p.envelope, Mark::new(&marks, i)));
        receipts.push(p.receipt);
    }
    let span = tracing::info_span!(
        "handler",
        route = %cfg.route,
        queues = %cfg.sources,
        bulk_size = n,
        flush = reason.as_str(),
    );
    let route = Arc::clone(route);
    let cfg = Arc::clone(cfg);
    let app = app.clone();
    running.spawn(
        async move {
            let outcome = call(&*route, &cfg, &app, items).await;
            let default = match &outcome {
                Outcome::Ok => cfg.on_success,
                _ => cfg.on_exception,
            };
            match &outcome {
                Outcome::Ok => tracing::debug!("handler done"),
                Outcome::Err(e) => {
                    tracing::error!(error = %e, error.debug = ?e, action = %default, "handler failed")
                }
                Outcome::Panic(msg) => {
                    tracing::error!(panic = %msg, action = %default, "handler panicked")
                }
                Outcome::Timeout(d) => {
                    tracing::error!(timeout = ?d, action = %default, "handler timed out")
                }
            }
            let batch = receipts
                .into_iter()
                .enumerate()
                .map(|(i, r)| (r, marks.get(i).unwrap_or(default)))
                .collect();
            Rc::settle_all(batch).await;
        }
        .instrument(span),
    );
}

async fn call<Rt: Route>(
    route: &Rt,
    cfg: &DispatchConfig,
    app: &App,
    items: Vec<Rt::Item>,
) -> Outcome {
    let fut = match std::panic::catch_unwind(AssertUnwindSafe(|| route.call(app, items))) {
        Ok(fut) => AssertUnwindSafe(fut).catch_unwind(),
        Err(panic) => return Outcome::Panic(panic_message(&*panic)),
    };
    let result = match cfg.timeout {
        Some(limit) => match tokio::time::timeout(limit, fut).await {
            Ok(r) => r,
            Err(_) => return Outcome::Timeout(limit),
        },
        None => fut.await,
    };
    match result {
        Ok(Ok(())) => Outcome::Ok,
        Ok(Err(e)) => Outcome::Err(e),
        Err(panic) => Outcome::Panic(panic_message(&*panic)),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}
