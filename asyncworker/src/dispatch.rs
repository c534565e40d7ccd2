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
use crate::metrics::RouteMetrics;

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
    /// The queue or stream an item came from, for metrics labels.
    fn source(envelope: &Self::Envelope) -> &Arc<str>;
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

    /// The items of a failed call that the handler did not mark, with the route's
    /// `on_exception` action. A backend may send them elsewhere (AMQP: a delayed retry or a
    /// parking queue); it returns the action each item was finally settled with, in order.
    fn settle_failed(
        batch: Vec<(Self, Action)>,
        error: Arc<str>,
    ) -> impl Future<Output = Vec<Action>> + Send {
        let _ = error;
        async move {
            let actions = batch.iter().map(|(_, a)| *a).collect();
            Self::settle_all(batch).await;
            actions
        }
    }
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
    pub(crate) metrics: RouteMetrics,
}

struct Pending<B, E, R> {
    body: B,
    envelope: E,
    receipt: R,
    source: Arc<str>,
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
            source: Arc::clone(Rt::source(&inbound.envelope)),
            envelope: inbound.envelope,
            receipt: inbound.receipt,
        }),
        Err(error) => {
            cfg.metrics.decode_error(Rt::source(&inbound.envelope));
            cfg.metrics
                .settled(Rt::source(&inbound.envelope), cfg.on_decode_error);
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
    match reason {
        FlushReason::Size => cfg.metrics.flush_size.inc(),
        FlushReason::Deadline => cfg.metrics.flush_deadline.inc(),
        FlushReason::Shutdown => cfg.metrics.flush_shutdown.inc(),
    };
    cfg.metrics.bulk_size.observe(n as f64);
    let marks = Marks::new(n);
    let mut items = Vec::with_capacity(n);
    let mut receipts = Vec::with_capacity(n);
    let mut sources = Vec::with_capacity(n);
    for (i, p) in pending.into_iter().enumerate() {
        items.push(Rt::wrap(p.body, p.envelope, Mark::new(&marks, i)));
        receipts.push(p.receipt);
        sources.push(p.source);
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
            cfg.metrics.in_flight.inc();
            let started = Instant::now();
            let outcome = call(&*route, &cfg, &app, items).await;
            cfg.metrics.duration.observe(started.elapsed().as_secs_f64());
            cfg.metrics.in_flight.dec();
            let default = match &outcome {
                Outcome::Ok => cfg.on_success,
                _ => cfg.on_exception,
            };
            let failure: Option<Arc<str>> = match &outcome {
                Outcome::Ok => {
                    tracing::debug!("handler done");
                    None
                }
                Outcome::Err(e) => {
                    tracing::error!(error = %e, error.debug = ?e, action = %default, "handler failed");
                    Some(Arc::from(e.to_string()))
                }
                Outcome::Panic(msg) => {
                    tracing::error!(panic = %msg, action = %default, "handler panicked");
                    Some(Arc::from(format!("handler panicked: {msg}")))
                }
                Outcome::Timeout(d) => {
                    tracing::error!(timeout = ?d, action = %default, "handler timed out");
                    Some(Arc::from(format!("handler timed out after {d:?}")))
                }
            };
            let mut decided = Vec::with_capacity(receipts.len());
            let mut failed = Vec::new();
            let mut failed_sources = Vec::new();
            for (i, (r, source)) in receipts.into_iter().zip(sources).enumerate() {
                match marks.get(i) {
                    Some(action) => {
                        cfg.metrics.settled(&source, action);
                        decided.push((r, action));
                    }
                    None if failure.is_some() => {
                        failed.push((r, default));
                        failed_sources.push(source);
                    }
                    None => {
                        cfg.metrics.settled(&source, default);
                        decided.push((r, default));
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

pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    //! The dispatcher on its own: an in-memory route and receipts, virtual time.

    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Default)]
    struct Counters {
        calls: Mutex<Vec<(Vec<u64>, Instant)>>,
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
    }

    /// Envelopes are `id[:mark[:behaviour]]` strings: `mark` is a per-message override
    /// (`ack`, `reject`, `requeue`), `behaviour` makes the call `fail` or `panic`.
    struct TestRoute {
        counters: Arc<Counters>,
        hold: Duration,
    }

    struct Item {
        id: u64,
        mark: Mark,
        mark_with: Option<Action>,
        behaviour: String,
    }

    impl Route for TestRoute {
        type Envelope = String;
        type Body = u64;
        type Item = Item;

        fn decode(&self, e: &String) -> Result<u64, String> {
            let id = e.split(':').next().unwrap_or("");
            id.parse().map_err(|_| format!("bad id in {e:?}"))
        }

        fn describe(e: &String) -> String {
            e.clone()
        }

        fn source(_: &String) -> &Arc<str> {
            static MEMORY: std::sync::LazyLock<Arc<str>> =
                std::sync::LazyLock::new(|| Arc::from("memory"));
            &MEMORY
        }

        fn wrap(id: u64, e: String, mark: Mark) -> Item {
            let mut parts = e.split(':').skip(1);
            let mark_with = match parts.next() {
                Some("ack") => Some(Action::Ack),
                Some("reject") => Some(Action::Reject),
                Some("requeue") => Some(Action::Requeue),
                _ => None,
            };
            Item {
                id,
                mark,
                mark_with,
                behaviour: parts.next().unwrap_or("").to_owned(),
            }
        }

        fn call(
            &self,
            _app: &App,
            items: Vec<Item>,
        ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'static>>
        {
            let ids: Vec<u64> = items.iter().map(|i| i.id).collect();
            self.counters
                .calls
                .lock()
                .unwrap()
                .push((ids, Instant::now()));
            let now = self.counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let counters = Arc::clone(&self.counters);
            let hold = self.hold;
            Box::pin(async move {
                tokio::time::sleep(hold).await;
                counters.in_flight.fetch_sub(1, Ordering::SeqCst);
                for i in &items {
                    if let Some(a) = i.mark_with {
                        i.mark.set(a);
                    }
                }
                if items.iter().any(|i| i.behaviour == "panic") {
                    panic!("handler panicked on purpose");
                }
                if items.iter().any(|i| i.behaviour == "fail") {
                    return Err("failed on purpose".into());
                }
                Ok(())
            })
        }
    }

    /// Settlements land in a shared log: (envelope id text, action).
    struct TestReceipt {
        id: String,
        log: Arc<Mutex<Vec<(String, Action)>>>,
    }

    impl Receipt for TestReceipt {
        async fn settle_all(batch: Vec<(Self, Action)>) {
            for (r, a) in batch {
                r.log.lock().unwrap().push((r.id, a));
            }
        }
    }

    struct Harness {
        tx: mpsc::Sender<Inbound<String, TestReceipt>>,
        log: Arc<Mutex<Vec<(String, Action)>>>,
        counters: Arc<Counters>,
        task: tokio::task::JoinHandle<()>,
    }

    fn cfg(bulk_size: usize, concurrency: usize) -> DispatchConfig {
        DispatchConfig {
            route: Arc::from("test"),
            sources: Arc::from("memory"),
            bulk_size,
            bulk_flush: Duration::from_secs(1),
            concurrency,
            timeout: Some(Duration::from_secs(5)),
            on_success: Action::Ack,
            on_exception: Action::Requeue,
            on_decode_error: Action::Reject,
            metrics: RouteMetrics::new(
                &crate::metrics::Metrics::new(),
                "test",
                &[Arc::from("memory")],
            ),
        }
    }

    fn start(cfg: DispatchConfig, hold: Duration) -> Harness {
        let counters = Arc::new(Counters::default());
        let route = Arc::new(TestRoute {
            counters: Arc::clone(&counters),
            hold,
        });
        let (tx, rx) = mpsc::channel(64);
        let task = tokio::spawn(run::<TestRoute, TestReceipt>(
            route,
            Arc::new(cfg),
            App::for_tests(),
            rx,
        ));
        Harness {
            tx,
            log: Arc::default(),
            counters,
            task,
        }
    }

    impl Harness {
        async fn send(&self, envelope: &str) {
            let receipt = TestReceipt {
                id: envelope.split(':').next().unwrap_or("").to_owned(),
                log: Arc::clone(&self.log),
            };
            let inbound = Inbound {
                envelope: envelope.to_owned(),
                receipt,
            };
            assert!(self.tx.send(inbound).await.is_ok());
        }

        async fn settled(&self, n: usize) -> Vec<(String, Action)> {
            for _ in 0..10_000 {
                if self.log.lock().unwrap().len() >= n {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let mut log = self.log.lock().unwrap().clone();
            log.sort_by(|a, b| a.0.cmp(&b.0));
            log
        }

        fn calls(&self) -> Vec<Vec<u64>> {
            let calls = self.counters.calls.lock().unwrap();
            calls.iter().map(|(ids, _)| ids.clone()).collect()
        }

        async fn close(self) -> Vec<(String, Action)> {
            drop(self.tx);
            self.task.await.unwrap();
            let mut log = self.log.lock().unwrap().clone();
            log.sort_by(|a, b| a.0.cmp(&b.0));
            log
        }
    }

    fn acks(ids: &[&str]) -> Vec<(String, Action)> {
        ids.iter().map(|i| ((*i).to_owned(), Action::Ack)).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn flushes_by_size_then_by_deadline_from_the_oldest() {
        let h = start(cfg(3, 1), Duration::ZERO);
        let t0 = Instant::now();
        for id in ["1", "2", "3", "4"] {
            h.send(id).await;
        }
        assert_eq!(h.settled(3).await, acks(&["1", "2", "3"]));
        assert_eq!(h.calls(), vec![vec![1, 2, 3]]);
        // "4" waits for the deadline counted from its own arrival, not from the last flush.
        assert_eq!(h.settled(4).await.len(), 4);
        let calls = h.counters.calls.lock().unwrap().clone();
        assert_eq!(calls[1].0, vec![4]);
        assert_eq!(calls[1].1 - t0, Duration::from_secs(1));
        drop(calls);
        h.close().await;
    }

    #[tokio::test(start_paused = true)]
    async fn undecodable_items_are_settled_alone_and_never_reach_the_handler() {
        let h = start(cfg(3, 1), Duration::ZERO);
        for e in ["1", "oops", "2", "3"] {
            h.send(e).await;
        }
        let log = h.settled(4).await;
        assert_eq!(h.calls(), vec![vec![1, 2, 3]]);
        assert!(
            log.contains(&("oops".to_owned(), Action::Reject)),
            "{log:?}"
        );
        h.close().await;
    }

    #[tokio::test(start_paused = true)]
    async fn failures_and_panics_take_on_exception_but_marks_win() {
        let h = start(cfg(2, 1), Duration::ZERO);
        h.send("1:reject").await;
        h.send("2::fail").await;
        h.send("3:ack").await;
        h.send("4::panic").await;
        let log = h.settled(4).await;
        assert_eq!(
            log,
            vec![
                ("1".to_owned(), Action::Reject),
                ("2".to_owned(), Action::Requeue),
                ("3".to_owned(), Action::Ack),
                ("4".to_owned(), Action::Requeue),
            ]
        );
        // The dispatcher survived the panic.
        h.send("5").await;
        h.send("6").await;
        assert_eq!(h.settled(6).await.len(), 6);
        h.close().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_out_call_is_an_exception() {
        let mut c = cfg(1, 1);
        c.timeout = Some(Duration::from_millis(100));
        let h = start(c, Duration::from_secs(60));
        h.send("1:ack").await;
        // The mark was never set: the call was cancelled before it could run that far.
        assert_eq!(h.settled(1).await, vec![("1".to_owned(), Action::Requeue)]);
        h.close().await;
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_limit_is_honoured() {
        let h = start(cfg(1, 3), Duration::from_millis(100));
        for id in 0..12 {
            h.send(&id.to_string()).await;
        }
        assert_eq!(h.settled(12).await.len(), 12);
        assert_eq!(h.counters.max_in_flight.load(Ordering::SeqCst), 3);
        h.close().await;
    }

    #[tokio::test(start_paused = true)]
    async fn closing_the_intake_hands_the_partial_bucket_over_and_waits() {
        let h = start(cfg(100, 1), Duration::from_millis(500));
        for id in ["1", "2", "3"] {
            h.send(id).await;
        }
        let log = h.close().await;
        assert_eq!(log, acks(&["1", "2", "3"]));
    }
}
