//! The dispatcher on its own: an in-memory route and receipts, virtual time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::contract::Route;
use super::*;
use crate::action::{Action, Mark};
use crate::app::App;
use crate::failure::{Failure, RawMessage};
use crate::handler::HandlerFuture;
use crate::observe::metrics::RouteMetrics;

#[derive(Default)]
struct Counters {
    calls: Mutex<Vec<(Vec<u64>, Instant)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// What the error handler was called with: the failure and the ids.
    failures: Mutex<Vec<(String, Vec<u64>)>>,
}

/// Envelopes are `id[:mark[:behaviour]]` strings: `mark` is a per-message override
/// (`ack`, `reject`, `requeue`), `behaviour` makes the call `fail` or `panic`.
struct TestRoute {
    counters: Arc<Counters>,
    hold: Duration,
    /// The error handler: `"mark"` rejects even ids and accepts odd ones; `"panic"` accepts
    /// every item, then panics; `None`: no error handler.
    error_handler: Option<&'static str>,
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

    fn decode(&self, e: &String) -> Result<u64, crate::codec::DecodeError> {
        let id = e.split(':').next().unwrap_or("");
        id.parse()
            .map_err(|_| crate::codec::DecodeError::new(format!("bad id in {e:?}")))
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

    fn call(&self, _app: &App, items: Vec<Item>) -> HandlerFuture {
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

    fn raw(e: String, mark: Mark) -> RawMessage {
        RawMessage {
            body: e.into(),
            source: Arc::clone(Self::source(&String::new())),
            #[cfg(feature = "amqp")]
            properties: None,
            mark,
        }
    }

    fn has_error_handler(&self) -> bool {
        self.error_handler.is_some()
    }

    fn on_failure(&self, _app: &App, failure: Failure, items: Vec<Item>) -> Option<HandlerFuture> {
        let mode = self.error_handler?;
        let ids = items.iter().map(|i| i.id).collect();
        // A body that does not decode: rejected, or requeued when it says `requeue`.
        if let Failure::Decode { message, .. } = &failure {
            match message.body().ends_with(b"requeue") {
                true => message.requeue(),
                false => message.reject(),
            }
        }
        self.counters
            .failures
            .lock()
            .unwrap()
            .push((failure.to_string(), ids));
        Some(Box::pin(async move {
            for i in &items {
                let even = i.id % 2 == 0;
                i.mark.set(match (mode, even) {
                    ("mark", true) => Action::Reject,
                    _ => Action::Ack,
                });
            }
            if mode == "panic" {
                panic!("error handler panicked on purpose");
            }
            Ok(())
        }))
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
        actions: Actions {
            on_success: Action::Ack,
            on_exception: Action::Requeue,
            on_decode_error: Action::Reject,
        },
        metrics: RouteMetrics::new(
            &crate::observe::metrics::Metrics::new(),
            "test",
            &[Arc::from("memory")],
        ),
        held: Arc::default(),
    }
}

fn start(cfg: DispatchConfig, hold: Duration) -> Harness {
    start_with(cfg, hold, None)
}

fn start_with(cfg: DispatchConfig, hold: Duration, error_handler: Option<&'static str>) -> Harness {
    let counters = Arc::new(Counters::default());
    let route = Arc::new(TestRoute {
        counters: Arc::clone(&counters),
        hold,
        error_handler,
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

/// `--drain` reads `held`: an item counts from its arrival (the bucket included) until it is
/// settled; an undecodable one until it is settled alone.
#[tokio::test(start_paused = true)]
async fn held_counts_items_until_they_are_settled() {
    let c = cfg(3, 1);
    let held = Arc::clone(&c.held);
    let h = start(c, Duration::ZERO);
    for e in ["1", "2", "oops"] {
        h.send(e).await;
    }
    assert_eq!(h.settled(1).await.len(), 1, "the undecodable one, alone");
    // Two items wait in the bucket for `bulk_flush`: held, not settled.
    assert_eq!(held.load(Ordering::Acquire), 2);
    assert_eq!(h.settled(3).await.len(), 3);
    assert_eq!(held.load(Ordering::Acquire), 0);
    h.close().await;
}

#[tokio::test(start_paused = true)]
async fn the_error_handler_gets_the_failed_bulk_and_its_marks_override_on_exception() {
    let h = start_with(cfg(3, 1), Duration::ZERO, Some("mark"));
    for e in ["1", "2::fail", "3", "4", "5", "6"] {
        h.send(e).await;
    }
    let log = h.settled(6).await;
    // The first bulk failed: the error handler rejected 2 and accepted 1 and 3, instead of
    // the route's `requeue`. The second succeeded: it was never called for it.
    let expected: Vec<(String, Action)> = [
        ("1", Action::Ack),
        ("2", Action::Reject),
        ("3", Action::Ack),
        ("4", Action::Ack),
        ("5", Action::Ack),
        ("6", Action::Ack),
    ]
    .into_iter()
    .map(|(id, a)| (id.to_owned(), a))
    .collect();
    assert_eq!(log, expected);
    let failures = h.counters.failures.lock().unwrap().clone();
    assert_eq!(failures, [("failed on purpose".to_owned(), vec![1, 2, 3])]);
    h.close().await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_error_handler_leaves_the_defaults_and_the_handlers_marks() {
    let h = start_with(cfg(3, 1), Duration::ZERO, Some("panic"));
    for e in ["1:reject", "2::panic", "3"] {
        h.send(e).await;
    }
    let log = h.settled(3).await;
    // Its `accept()` marks are undone: the handler's reject of 1 stands, the rest requeue.
    assert_eq!(
        log,
        vec![
            ("1".to_owned(), Action::Reject),
            ("2".to_owned(), Action::Requeue),
            ("3".to_owned(), Action::Requeue),
        ]
    );
    let failures = h.counters.failures.lock().unwrap().clone();
    assert_eq!(
        failures[0].0,
        "handler panicked: handler panicked on purpose"
    );
    h.close().await;
}

#[tokio::test(start_paused = true)]
async fn an_undecodable_item_reaches_the_error_handler_raw_and_its_mark_wins() {
    let h = start_with(cfg(3, 1), Duration::ZERO, Some("mark"));
    for e in ["oops-requeue", "1", "bad", "3"] {
        h.send(e).await;
    }
    // The route's on_decode_error is reject; the error handler requeued one of the two.
    let log = h.settled(4).await;
    assert!(
        log.contains(&("oops-requeue".to_owned(), Action::Requeue)),
        "{log:?}"
    );
    assert!(log.contains(&("bad".to_owned(), Action::Reject)), "{log:?}");
    assert_eq!(h.calls(), vec![vec![1, 3]]);
    let failures = h.counters.failures.lock().unwrap().clone();
    assert_eq!(
        failures,
        [
            (
                "body does not decode: bad id in \"oops-requeue\"".to_owned(),
                vec![]
            ),
            ("body does not decode: bad id in \"bad\"".to_owned(), vec![]),
        ]
    );
    h.close().await;
}
