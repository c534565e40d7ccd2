//! The testing harness's own behaviour (`asyncworker::testing`): in-memory routing by
//! exchange type, `settled()` over bulk deadlines and retry delays, what handlers publish,
//! requeues, SSE feeds, state, startup failures and `only_module`. The harness must also agree
//! with RabbitMQ message by message: that is `conformance.rs`.

use std::sync::Mutex;
use std::time::Duration;

use asyncworker::amqp::{AMQPValue, BasicProperties, FieldTable};
use asyncworker::prelude::*;
use asyncworker::testing::{ExchangeKind, FateKind, TestWorker};

/// Bodies each route saw, in order, by route.
static SEEN: Mutex<Vec<(&'static str, String)>> = Mutex::new(Vec::new());

fn seen(route: &str) -> Vec<String> {
    let all = SEEN.lock().unwrap();
    all.iter()
        .filter(|(r, _)| *r == route)
        .map(|(_, b)| b.clone())
        .collect()
}

fn kinds(w: &TestWorker, queue: &str) -> Vec<FateKind> {
    w.fates(queue).into_iter().map(|f| f.kind).collect()
}

/// Each test runs the routes of one module, so tests in this binary never share a route.
mod routing {
    use super::*;

    #[route(amqp = ["rt.orders"], bulk_size = 1)]
    async fn orders(m: Message<serde_json::Value>) {
        SEEN.lock().unwrap().push(("orders", m.body().to_string()));
    }

    #[route(amqp = ["rt.audit"], bulk_size = 1)]
    async fn audit(m: Message<serde_json::Value>) {
        SEEN.lock().unwrap().push(("audit", m.body().to_string()));
    }
}

#[tokio::test]
async fn exchanges_route_by_topic_and_by_headers_as_rabbitmq_does() {
    let w = TestWorker::builder()
        .only_module("testing_harness::routing")
        .start()
        .await
        .unwrap();
    w.declare_exchange("shop", ExchangeKind::Topic);
    w.bind("rt.orders", "shop", "order.*");
    w.bind("rt.audit", "shop", "#");
    w.declare_exchange("docs", ExchangeKind::Headers);
    let mut args = FieldTable::default();
    args.insert("x-match".into(), AMQPValue::LongString("all".into()));
    args.insert("format".into(), AMQPValue::LongString("pdf".into()));
    w.bind_headers("rt.orders", "docs", args);

    w.publish_to("shop", "order.created", &"t1");
    w.publish_to("shop", "order.created.eu", &"t2"); // audit only: `*` is one word
    w.publish_to("shop", "invoice.paid", &"t3");
    let mut headers = FieldTable::default();
    headers.insert("format".into(), AMQPValue::LongString("pdf".into()));
    let pdf = BasicProperties::default().with_headers(headers);
    w.publish_raw_to("docs", "", br#""h1""#.to_vec(), pdf);
    w.publish_raw_to("docs", "", br#""h2""#.to_vec(), BasicProperties::default());
    w.settled().await;

    assert_eq!(seen("orders"), [r#""t1""#, r#""h1""#]);
    assert_eq!(seen("audit"), [r#""t1""#, r#""t2""#, r#""t3""#]);
    assert_eq!(kinds(&w, "rt.orders"), [FateKind::Acked, FateKind::Acked]);
    w.stop().await;
}

mod retries {
    use super::*;

    #[route(amqp = ["rh.jobs"], retries = 2, retry_delay = "1h", dead_letter = "rh.jobs.parking", declare = true)]
    async fn always_fails(_m: Message<u32>) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("boom"))
    }
}

#[tokio::test]
async fn settled_moves_over_an_hour_long_retry_delay_at_once() {
    let w = TestWorker::builder()
        .only_module("testing_harness::retries")
        .start()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    w.publish("rh.jobs", &7);
    w.settled().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no real hour, nor minutes"
    );
    assert_eq!(
        kinds(&w, "rh.jobs"),
        [
            FateKind::Retried { attempt: 2 },
            FateKind::Retried { attempt: 3 },
            FateKind::DeadLettered {
                queue: "rh.jobs.parking".into()
            },
        ]
    );
    let attempts: Vec<u32> = w.fates("rh.jobs").iter().map(|f| f.attempt()).collect();
    assert_eq!(attempts, [1, 2, 3]);
    let parked = w.queue("rh.jobs.parking");
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].json::<u32>(), 7);
    assert!(w.queue("rh.jobs.retry").is_empty());
    w.stop().await;
}

mod bulks {
    use super::*;

    #[route(amqp = ["bh.a", "bh.b"], bulk_size = 10, bulk_flush = "10m")]
    async fn both(messages: Vec<Message<u32>>) {
        // Two queues feed the bucket from two consumers: their order is not defined.
        let mut bodies: Vec<u32> = messages.iter().map(|m| *m.body()).collect();
        bodies.sort();
        SEEN.lock().unwrap().push(("both", format!("{bodies:?}")));
        for m in &messages {
            if *m.body() == 0 {
                m.requeue_once_then_ack();
            }
        }
    }

    trait RequeueOnce {
        fn requeue_once_then_ack(&self);
    }

    impl RequeueOnce for Message<u32> {
        fn requeue_once_then_ack(&self) {
            if !self.redelivered() {
                self.requeue();
            }
        }
    }
}

#[tokio::test]
async fn a_partial_bulk_is_flushed_by_moving_the_clock_and_requeues_come_back_redelivered() {
    let w = TestWorker::builder()
        .only_module("testing_harness::bulks")
        .start()
        .await
        .unwrap();
    w.publish("bh.a", &1);
    w.publish("bh.b", &2);
    w.publish("bh.a", &0);
    w.settled().await;
    // One bulk from both queues at the 10-minute deadline, then the requeued one alone.
    assert_eq!(seen("both"), ["[0, 1, 2]", "[0]"]);
    assert_eq!(
        kinds(&w, "bh.a"),
        [FateKind::Acked, FateKind::Requeued, FateKind::Acked]
    );
    let redelivered: Vec<bool> = w.fates("bh.a").iter().map(|f| f.redelivered).collect();
    assert_eq!(redelivered, [false, false, true]);
    // The in-memory consumer counts redeliveries as the RabbitMQ one does.
    let metrics = w.app().metrics().encode();
    assert!(
        metrics.contains(r#"asyncworker_amqp_redelivered_total{route="both",queue="bh.a"} 1"#),
        "{metrics}"
    );
    w.stop().await;
}

mod publishing {
    use super::*;

    pub struct Rate(pub u32);

    #[route(amqp = ["ph.orders"])]
    async fn forward(
        app: App,
        rate: State<Rate>,
        m: Message<u32>,
    ) -> Result<(), asyncworker::amqp::PublishError> {
        app.amqp()
            .publish("", "ph.invoices", &(m.body() * rate.0))
            .await?;
        // No queue takes it: returned, as by RabbitMQ.
        let unroutable = app.amqp().mandatory().publish("", "ph.nowhere", &0).await;
        SEEN.lock()
            .unwrap()
            .push(("forward", format!("{unroutable:?}")));
        Ok(())
    }
}

#[tokio::test]
async fn what_handlers_publish_is_recorded_and_state_can_be_replaced_before_startup() {
    let w = TestWorker::builder()
        .only_module("testing_harness::publishing")
        .state(publishing::Rate(3))
        .declare_queue("ph.invoices", FieldTable::default())
        .start()
        .await
        .unwrap();
    w.publish("ph.orders", &5);
    w.settled().await;
    let invoices = w.published("", "ph.invoices");
    assert_eq!(invoices.len(), 1);
    assert_eq!(invoices[0].json::<u32>(), 15);
    assert_eq!(
        w.queue("ph.invoices")[0].json::<u32>(),
        15,
        "routed to the queue too"
    );
    let returned = seen("forward");
    assert!(returned[0].starts_with("Err(Unroutable"), "{returned:?}");
    assert_eq!(kinds(&w, "ph.orders"), [FateKind::Acked]);
    w.stop().await;
}

mod failing_startup {
    use super::*;

    #[on_startup]
    async fn connect(_app: &App) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("database is down"))
    }

    #[route(amqp = ["fs.q"])]
    async fn never(_m: Message<u32>) {}
}

#[tokio::test]
async fn a_failing_startup_hook_comes_back_as_an_error_and_only_module_keeps_others_out() {
    let err = TestWorker::builder()
        .only_module("testing_harness::failing_startup")
        .start()
        .await
        .expect_err("the hook fails");
    assert!(err.to_string().contains("database is down"), "{err}");
    // The other modules' hooks are not run, their queues not declared.
    let w = TestWorker::builder()
        .only_module("testing_harness::routing")
        .start()
        .await
        .unwrap();
    std::panic::AssertUnwindSafe(|| w.publish("fs.q", &1))
        .catch_unwind_as_result()
        .expect_err("no such queue in this worker");
    w.stop().await;
}

mod sqs_routes {
    use super::*;

    #[route(sqs = ["harness-orders"])]
    async fn orders(_m: SqsMessage<u32>) {}
}

#[tokio::test]
async fn sqs_routes_are_refused_by_name_not_left_idle() {
    let err = TestWorker::builder()
        .only_module("testing_harness::sqs_routes")
        .start()
        .await
        .expect_err("no in-memory SQS");
    let text = err.to_string();
    assert!(
        text.contains("no in-memory SQS transport") && text.contains("orders"),
        "{text}"
    );
}

trait CatchUnwind {
    fn catch_unwind_as_result(self) -> std::thread::Result<()>;
}

impl<F: FnOnce()> CatchUnwind for std::panic::AssertUnwindSafe<F> {
    fn catch_unwind_as_result(self) -> std::thread::Result<()> {
        std::panic::catch_unwind(self)
    }
}

mod events {
    use super::*;

    #[derive(serde::Deserialize)]
    pub struct Status {
        pub app: String,
    }

    #[route(sse = ["/v2/events"], bulk_size = 2, bulk_flush = "1h")]
    async fn watch(events: Vec<Event<Status>>) {
        for e in &events {
            SEEN.lock().unwrap().push((
                "watch",
                format!("{}:{}:{:?}", e.name(), e.data().app, e.id()),
            ));
        }
    }
}

#[tokio::test]
async fn sse_events_fed_by_the_test_reach_the_route_in_bulks() {
    let w = TestWorker::builder()
        .only_module("testing_harness::events")
        .start()
        .await
        .unwrap();
    w.sse_send("/v2/events", "status", Some("1"), r#"{"app":"a"}"#);
    w.sse_send("/v2/events", "status", None, r#"{"app":"b"}"#);
    w.sse_send("/v2/events", "status", Some("3"), r#"{"app":"c"}"#);
    w.sse_send("/v2/events", "status", Some("4"), "not json");
    w.settled().await;
    assert_eq!(
        seen("watch"),
        [
            r#"status:a:Some("1")"#,
            "status:b:None",
            r#"status:c:Some("3")"#
        ]
    );
    w.stop().await;
}

mod slow {
    use super::*;

    /// The first delivery hangs far beyond the timeout; the redelivery is quick.
    #[route(amqp = ["sh.jobs"], timeout = "2s")]
    async fn hangs_once(m: Message<u32>) {
        if !m.redelivered() {
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    }
}

#[tokio::test]
async fn a_handler_timeout_is_skipped_to_rather_than_waited_for() {
    let w = TestWorker::builder()
        .only_module("testing_harness::slow")
        .start()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    w.publish("sh.jobs", &1);
    w.settled().await;
    // The default on_exception requeues; the redelivery is acked.
    assert_eq!(kinds(&w, "sh.jobs"), [FateKind::Requeued, FateKind::Acked]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}: the 2 s timeout was waited for",
        started.elapsed()
    );
    w.stop().await;
}

mod lifecycle {
    use super::*;

    pub static STOPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[route(amqp = ["lh.q"], bulk_size = 100)]
    async fn collect(messages: Vec<Message<u32>>) {
        STOPPED
            .lock()
            .unwrap()
            .push(format!("bulk of {}", messages.len()));
    }

    #[on_shutdown]
    async fn close(_app: &App) -> Result<(), std::io::Error> {
        STOPPED.lock().unwrap().push("shutdown hook".into());
        Ok(())
    }
}

#[tokio::test]
async fn stop_runs_the_shutdown_hooks_and_nothing_connects_to_the_broker() {
    // If anything tried the broker or bound a port, it would be these: held by the test.
    let broker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    broker.set_nonblocking(true).unwrap();
    let url = format!("amqp://127.0.0.1:{}", broker.local_addr().unwrap().port());
    let w = TestWorker::builder()
        .only_module("testing_harness::lifecycle")
        .env("ASYNCWORKER_AMQP_URL", &url)
        .start()
        .await
        .unwrap();
    w.publish("lh.q", &1);
    w.publish("lh.q", &2);
    w.settled().await;
    assert_eq!(w.fates("lh.q").len(), 2);
    let app = w.app();
    w.stop().await;
    assert_eq!(
        *lifecycle::STOPPED.lock().unwrap(),
        ["bulk of 2", "shutdown hook"]
    );
    assert!(app.is_shutting_down());
    let accepted = broker.accept();
    assert!(
        matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the harness connected to the broker URL: {accepted:?}"
    );
}

#[tokio::test]
async fn a_bad_setting_fails_start_naming_the_variable_and_its_value() {
    let err = TestWorker::builder()
        .only_module("testing_harness::routing")
        .env("ASYNCWORKER_AMQP_PREFETCH", "lots")
        .start()
        .await
        .expect_err("not a number");
    let text = err.to_string();
    assert!(
        text.contains("ASYNCWORKER_AMQP_PREFETCH") && text.contains("lots"),
        "{text}"
    );
}

mod topology {
    use super::*;

    /// Bound to a topic exchange it declares; odd ids are rejected, and park.
    #[route(amqp = ["tp.orders"], declare = true, bind = ["tp.shop:order.*"], dead_letter = "tp.parking")]
    async fn bound(m: Message<u32>) {
        SEEN.lock().unwrap().push(("bound", m.body().to_string()));
        if m.body() % 2 == 1 {
            m.reject();
        }
    }
}

/// The harness declares what `declare = true` declares on RabbitMQ: the exchange and the
/// binding, and the main queue's dead-letter target, so `reject()` parks in memory too.
#[tokio::test]
async fn routes_declare_their_bindings_and_reject_parks() {
    let w = TestWorker::builder()
        .only_module("testing_harness::topology")
        .start()
        .await
        .unwrap();
    w.publish_to("tp.shop", "order.created", &1u32);
    w.publish_to("tp.shop", "order.paid", &2u32);
    w.publish_to("tp.shop", "invoice.paid", &3u32);
    w.settled().await;
    assert_eq!(seen("bound"), ["1", "2"]);
    assert_eq!(
        kinds(&w, "tp.orders"),
        [FateKind::Rejected, FateKind::Acked]
    );
    let parked = w.queue("tp.parking");
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].body.as_ref(), b"1");
    w.stop().await;
}

mod capped {
    use super::*;

    #[route(amqp = ["tp.capped"], declare = true)]
    async fn capped(_m: Message<u32>) {}
}

/// A queue that exists with other arguments fails the start with RabbitMQ's 406 in the words
/// the real consumer and `--check` use.
#[tokio::test]
async fn mismatched_queue_arguments_fail_the_start_in_the_same_words() {
    let mut args = FieldTable::default();
    args.insert("x-max-length".into(), AMQPValue::LongLongInt(10));
    let started = TestWorker::builder()
        .only_module("testing_harness::capped")
        .declare_queue("tp.capped", args)
        .start()
        .await;
    let Err(err) = started else {
        panic!("the start must fail");
    };
    let expected = "queue `tp.capped` exists on the broker with x-max-length = 10, but the route \
                    declares it without x-max-length: delete the queue (its messages go with \
                    it) or change the route's options to match";
    assert!(err.to_string().contains(expected), "{err}");
}
mod poison {
    use super::*;

    #[route(amqp = ["pg.five"], max_redeliveries = 5)]
    async fn five(_m: Message<u32>) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("poison"))
    }

    #[route(amqp = ["pg.default"])]
    async fn default(_m: Message<u32>) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("poison"))
    }

    #[route(amqp = ["pg.tiers"], retries = 3, retry_delay = ["1h", "2h"], declare = true, dead_letter = "pg.tiers.parking")]
    async fn tiers(_m: Message<u32>) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("boom"))
    }
}

/// In memory too, the poison guard holds a failed delivery (on the worker's clock, which
/// `settled()` moves over the hold) and rejects it after `max_redeliveries` deliveries, 20 by
/// default; retry tiers each get their queue.
#[tokio::test]
async fn the_poison_guard_and_retry_tiers_work_in_memory_on_virtual_time() {
    let w = TestWorker::builder()
        .only_module("testing_harness::poison")
        .start()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    w.publish("pg.five", &1);
    w.publish("pg.default", &2);
    w.publish("pg.tiers", &3);
    w.settled().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "holds and tier delays are skipped, not waited for"
    );
    let mut five = vec![FateKind::Requeued; 4];
    five.push(FateKind::Rejected);
    assert_eq!(kinds(&w, "pg.five"), five);
    let default = kinds(&w, "pg.default");
    assert_eq!(default.len(), 20, "{default:?}");
    assert_eq!(default.last(), Some(&FateKind::Rejected));
    assert_eq!(
        kinds(&w, "pg.tiers"),
        [
            FateKind::Retried { attempt: 2 },
            FateKind::Retried { attempt: 3 },
            FateKind::Retried { attempt: 4 },
            FateKind::DeadLettered {
                queue: "pg.tiers.parking".into()
            },
        ]
    );
    assert!(w.queue("pg.tiers.retry.1h").is_empty());
    assert!(w.queue("pg.tiers.retry.2h").is_empty());
    assert_eq!(w.queue("pg.tiers.parking").len(), 1);
    w.stop().await;
}
