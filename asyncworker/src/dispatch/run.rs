//! The dispatcher's loop: accept items into the bucket, flush bulks to handler calls, settle
//! what each call leaves behind.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use super::call::{Outcome, call};
use super::contract::{DispatchConfig, Inbound, Receipt, Route};
use crate::action::{Action, Mark, Marks};
use crate::app::App;
use crate::bulk::{Bucket, FlushReason};
use crate::clock::Wait;
use crate::future::BoxFuture;

struct Pending<B, E, R> {
    body: B,
    envelope: E,
    receipt: R,
    source: Arc<str>,
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
    let clock = app.clock().clone();
    // One timer re-armed when the bucket's deadline changes (once per bulk), not one per item.
    let mut timer: Option<(Instant, BoxFuture<'static, ()>)> = None;
    loop {
        let deadline = bucket.deadline();
        if deadline != timer.as_ref().map(|(at, _)| *at) {
            timer = deadline.map(|d| (d, clock.sleep_until(d, Wait::Flush)));
        }
        let expired = async {
            match timer.as_mut() {
                Some((_, sleep)) => sleep.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            Some(_) = running.join_next(), if !running.is_empty() => {}
            item = rx.recv() => match item {
                Some(inbound) => {
                    cfg.held.fetch_add(1, Ordering::AcqRel);
                    if let Some(p) = accept(&*route, &cfg, inbound).await {
                        clock.note_buffered(1);
                        if bucket.push(p, clock.now()) {
                            flush(&route, &cfg, &app, &mut bucket, &mut running, FlushReason::Size).await;
                        }
                    }
                }
                None => break,
            },
            () = expired => {
                timer = None;
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
            source: Arc::clone(Rt::source(&inbound.envelope)),
            envelope: inbound.envelope,
            receipt: inbound.receipt,
        }),
        Err(error) => {
            cfg.metrics.decode_error(Rt::source(&inbound.envelope));
            cfg.metrics
                .settled(Rt::source(&inbound.envelope), cfg.actions.on_decode_error);
            tracing::warn!(
                route = %cfg.route,
                action = %cfg.actions.on_decode_error,
                item = %Rt::describe(&inbound.envelope),
                %error,
                "message body does not decode; it never reaches the handler"
            );
            Rc::settle_all(vec![(inbound.receipt, cfg.actions.on_decode_error)]).await;
            cfg.held.fetch_sub(1, Ordering::AcqRel);
            None
        }
    }
}

/// Hands the bucket's items to a new handler call, once fewer than `concurrency` calls run.
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
    app.clock().note_buffered(-(pending.len() as isize));
    // Counted as running from now: the items left the bucket but are not settled yet.
    app.clock().note_running(1);
    // The concurrency limit: wait for a running call to finish before starting another. The
    // loop stops reading the channel meanwhile, so the backend's prefetch is the back-pressure.
    while running.len() >= cfg.concurrency {
        running.join_next().await;
    }
    cfg.metrics.flushed(reason, pending.len());
    let span = tracing::info_span!(
        "handler",
        route = %cfg.route,
        queues = %cfg.sources,
        bulk_size = pending.len(),
        flush = reason.as_str(),
    );
    #[cfg(feature = "otel")]
    crate::otel::link_or_parent(
        &span,
        pending
            .iter()
            .filter_map(|p| Rt::remote(&p.envelope))
            .collect(),
        pending.len(),
    );
    let call = start_call(Arc::clone(route), Arc::clone(cfg), app.clone(), pending);
    running.spawn(call.instrument(span));
}

/// One handler call over `pending` and the settlement of every item it was given.
async fn start_call<Rt: Route, Rc: Receipt>(
    route: Arc<Rt>,
    cfg: Arc<DispatchConfig>,
    app: App,
    pending: Vec<Pending<Rt::Body, Rt::Envelope, Rc>>,
) {
    let n = pending.len();
    let marks = Marks::new(n);
    let mut items = Vec::with_capacity(n);
    let mut rest = Vec::with_capacity(n);
    for (i, p) in pending.into_iter().enumerate() {
        items.push(Rt::wrap(p.body, p.envelope, Mark::new(&marks, i)));
        rest.push((p.receipt, p.source));
    }
    cfg.metrics.in_flight.inc();
    let started = Instant::now();
    let outcome = call(|| route.call(&app, items), cfg.timeout, app.clock()).await;
    cfg.metrics
        .duration
        .observe(started.elapsed().as_secs_f64());
    cfg.metrics.in_flight.dec();
    settle_outcome(&cfg, &outcome, &marks, rest).await;
    cfg.held.fetch_sub(n, Ordering::AcqRel);
    app.clock().note_running(-1);
}

/// Settles the items of one call: each with the action the handler marked it with, else with
/// `on_success` or `on_exception` by how the call ended.
///
/// Unmarked items of a failed call go through [`Receipt::settle_failed`] apart from the rest,
/// because a backend may not settle them with the plain action (AMQP sends them to a delayed
/// retry or to the parking queue, with the error in a header), and it says which action each
/// finally got. That is why metrics count them only after they are settled, per source.
async fn settle_outcome<Rc: Receipt>(
    cfg: &DispatchConfig,
    outcome: &Outcome,
    marks: &Marks,
    items: Vec<(Rc, Arc<str>)>,
) {
    let default = match outcome {
        Outcome::Ok => cfg.actions.on_success,
        _ => cfg.actions.on_exception,
    };
    let failure = outcome.failure().map(Arc::<str>::from);
    log_outcome(outcome, default);
    let mut decided = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    let mut failed_sources = Vec::new();
    for (i, (receipt, source)) in items.into_iter().enumerate() {
        match marks.get(i) {
            Some(action) => {
                cfg.metrics.settled(&source, action);
                decided.push((receipt, action));
            }
            None if failure.is_some() => {
                failed.push((receipt, default));
                failed_sources.push(source);
            }
            None => {
                cfg.metrics.settled(&source, default);
                decided.push((receipt, default));
            }
        }
    }
    if !decided.is_empty() {
        Rc::settle_all(decided).await;
    }
    if let Some(error) = failure
        && !failed.is_empty()
    {
        let actions = Rc::settle_failed(failed, error).await;
        for (source, action) in failed_sources.iter().zip(actions) {
            cfg.metrics.settled(source, action);
        }
    }
}

/// One log line per call: debug when it succeeded, error with the cause when not.
fn log_outcome(outcome: &Outcome, action: Action) {
    match outcome {
        Outcome::Ok => tracing::debug!("handler done"),
        Outcome::Err(e) => {
            tracing::error!(error = %e, error.debug = ?e, action = %action, "handler failed");
        }
        Outcome::Panic(msg) => tracing::error!(panic = %msg, action = %action, "handler panicked"),
        Outcome::Timeout(d) => tracing::error!(timeout = ?d, action = %action, "handler timed out"),
    }
}
