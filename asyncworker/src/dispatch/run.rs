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
use crate::codec::DecodeError;
use crate::failure::Failure;
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
                    // Decoded here, not in an async fn: the item is moved into the bucket
                    // directly, not through a future first.
                    match route.decode(&inbound.envelope) {
                        Ok(body) => {
                            clock.note_buffered(1);
                            if bucket.push(pending::<Rt, Rc>(body, inbound), clock.now()) {
                                flush(&route, &cfg, &app, &mut bucket, &mut running, FlushReason::Size).await;
                            }
                        }
                        Err(error) => refuse(&*route, &cfg, &app, inbound, error).await,
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

/// A decoded item, on its way to the bucket.
fn pending<Rt: Route, Rc: Receipt>(
    body: Rt::Body,
    inbound: Inbound<Rt::Envelope, Rc>,
) -> Pending<Rt::Body, Rt::Envelope, Rc> {
    Pending {
        body,
        source: Arc::clone(Rt::source(&inbound.envelope)),
        envelope: inbound.envelope,
        receipt: inbound.receipt,
    }
}

/// Settles an item whose body does not decode at once: it never reaches the bucket.
async fn refuse<Rt: Route, Rc: Receipt>(
    route: &Rt,
    cfg: &DispatchConfig,
    app: &App,
    inbound: Inbound<Rt::Envelope, Rc>,
    error: DecodeError,
) {
    let source = Arc::clone(Rt::source(&inbound.envelope));
    cfg.metrics.decode_error(&source);
    tracing::warn!(
        route = %cfg.route,
        action = %cfg.actions.on_decode_error,
        item = %Rt::describe(&inbound.envelope),
        %error,
        "message body does not decode; it never reaches the handler"
    );
    let action = match route.has_error_handler() {
        true => on_decode_failure(route, cfg, app, error.to_string(), inbound.envelope).await,
        false => None,
    };
    let action = action.unwrap_or(cfg.actions.on_decode_error);
    cfg.metrics.settled(&source, action);
    Rc::settle_all(vec![(inbound.receipt, action)]).await;
    cfg.held.fetch_sub(1, Ordering::AcqRel);
}

/// Calls the route's error handler with an item that did not decode; returns the fate it
/// marked, or `None` (unmarked, or the error handler failed: `on_decode_error` applies).
async fn on_decode_failure<Rt: Route>(
    route: &Rt,
    cfg: &DispatchConfig,
    app: &App,
    error: String,
    envelope: Rt::Envelope,
) -> Option<Action> {
    let marks = Marks::new(1);
    let message = Rt::raw(envelope, Mark::new(&marks, 0));
    let failure = Failure::Decode { error, message };
    let start = || {
        route
            .on_failure(app, failure, Vec::new())
            .unwrap_or_else(|| Box::pin(async { Ok(()) }))
    };
    if let Some(error) = call(start, cfg.timeout, app.clock()).await.failure() {
        tracing::error!(route = %cfg.route, %error, "error handler failed; on_decode_error applies");
        return None;
    }
    marks.get(0)
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
    if cfg.bulk_size == 1 && cfg.concurrency == 1 {
        // One message, one call at a time: the next message would wait for this call
        // anyway. Awaited here, the call costs no task and no hand-off to it and back;
        // dropping the dispatcher still drops (aborts) it.
        call.instrument(span).await;
    } else {
        running.spawn(call.instrument(span));
    }
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
    // The error handler gets the bulk again, rebuilt from copies: the handler owns its items.
    let mut kept = Vec::with_capacity(if route.has_error_handler() { n } else { 0 });
    for (i, p) in pending.into_iter().enumerate() {
        if route.has_error_handler() {
            kept.push(p.envelope.clone());
        }
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
    if let Some(failure) = outcome.as_failure()
        && route.has_error_handler()
    {
        // Boxed, like every cold path of a call: this future is spawned per bulk (per
        // message at bulk 1) and moved into its task, so its size is paid on every call.
        Box::pin(on_failure(&*route, &cfg, &app, failure, kept, &marks)).await;
    }
    settle_outcome(&cfg, &outcome, &marks, rest).await;
    cfg.held.fetch_sub(n, Ordering::AcqRel);
    app.clock().note_running(-1);
}

/// Calls the route's error handler with the failed bulk, rebuilt from `envelopes` on the same
/// marks, so that what it marks overrides `on_exception`. If it fails or panics, it is logged
/// and the marks are put back as the handler left them: the route's defaults apply.
async fn on_failure<Rt: Route>(
    route: &Rt,
    cfg: &DispatchConfig,
    app: &App,
    failure: Failure,
    envelopes: Vec<Rt::Envelope>,
    marks: &Marks,
) {
    let before = marks.snapshot();
    // Every body decoded once already: decoding is deterministic, so none is skipped here.
    let items = envelopes
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let body = route.decode(&e).ok()?;
            Some(Rt::wrap(body, e, Mark::new(marks, i)))
        })
        .collect();
    let start = || {
        route
            .on_failure(app, failure, items)
            .unwrap_or_else(|| Box::pin(async { Ok(()) }))
    };
    let outcome = call(start, cfg.timeout, app.clock()).await;
    if let Some(error) = outcome.failure() {
        tracing::error!(
            route = %cfg.route,
            %error,
            "error handler failed; the route's defaults apply"
        );
        marks.restore(&before);
    }
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
        let actions = Box::pin(Rc::settle_failed(failed, error)).await;
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
