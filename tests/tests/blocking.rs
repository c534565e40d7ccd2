//! Blocking (non-async) handlers run on tokio's blocking pool: they handle messages, their
//! panics are settled like those of async handlers (requeue, HTTP 500), and they do not stall
//! other routes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Recorder, Running, http_settings, settings, unique_prefix, wait_until,
};

/// The largest value `current` reached, kept in `max`.
fn raise(current: &AtomicUsize, max: &AtomicUsize) {
    let now = current.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(now, Ordering::SeqCst);
}

mod consumer {
    use super::*;
    pub static PANICKED: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static HANDLED: LazyLock<Recorder> = LazyLock::new(Recorder::new);
    pub static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);
    pub static MAX_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

    // Defaults: bulk_size 1, on_exception = requeue.
    #[route(amqp = ["q"], concurrency = 2)]
    fn handle(messages: Vec<Message<Job>>) {
        raise(&IN_FLIGHT, &MAX_IN_FLIGHT);
        // Workload, not synchronisation: a blocking call the async runtime must not wait on.
        std::thread::sleep(Duration::from_millis(300));
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
        for m in &messages {
            let id = m.body().id;
            if m.redelivered() {
                HANDLED.redelivered(id);
            } else if m.body().tag == "panic" {
                PANICKED.call(&[id]);
                panic!("blocking handler panics on purpose for id {id}");
            }
            HANDLED.call(&[id]);
        }
    }
}

/// A blocking AMQP handler handles every message, `concurrency` calls at a time, and a panic
/// requeues the message like an async handler's panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_amqp_handler_handles_and_requeues_panics() {
    let prefix = unique_prefix("blocking_amqp");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    let jobs: Vec<Job> = (0..6)
        .map(|id| Job {
            id,
            tag: if id == 2 { "panic" } else { "" }.to_owned(),
        })
        .collect();
    broker.publish_json(&q, &jobs).await;

    let worker = Running::start(&format!("{}::consumer", module_path!()), settings(&prefix));
    wait_until(
        Duration::from_secs(15),
        "6 messages handled, id 2 after its panic",
        || async { consumer::HANDLED.unique() == 6 && consumer::HANDLED.count(2) == 1 },
    )
    .await;
    worker.stop().await.unwrap();
    assert_eq!(consumer::PANICKED.count(2), 1);
    assert_eq!(consumer::HANDLED.redelivered_ids(), vec![2]);
    assert_eq!(consumer::MAX_IN_FLIGHT.load(Ordering::SeqCst), 2);
    assert_eq!(broker.ready(&q).await, 0, "every message was acked");
    broker.delete(&q).await;
}

mod stall {
    use super::*;
    pub static TICKS: AtomicUsize = AtomicUsize::new(0);
    /// Ticks of `fast` seen during each blocking call's sleep.
    pub static WINDOWS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

    #[route(every = "50ms")]
    async fn fast() {
        TICKS.fetch_add(1, Ordering::SeqCst);
    }

    fn sleep_and_count() {
        let before = TICKS.load(Ordering::SeqCst);
        // Workload: with two runtime workers, two sleeping async handlers would stall `fast`.
        std::thread::sleep(Duration::from_secs(1));
        let after = TICKS.load(Ordering::SeqCst);
        WINDOWS.lock().unwrap().push(after - before);
    }

    #[route(every = "1h", immediately = true)]
    fn slow_a() {
        sleep_and_count();
    }

    #[route(every = "1h", immediately = true)]
    fn slow_b() {
        sleep_and_count();
    }
}

/// While two blocking calls sleep (as many as the runtime has workers), an async route keeps
/// ticking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_handler_does_not_stall_other_routes() {
    let worker = Running::start(
        &format!("{}::stall", module_path!()),
        settings(&unique_prefix("blocking_stall")),
    );
    wait_until(
        Duration::from_secs(10),
        "both blocking calls done",
        || async { stall::WINDOWS.lock().unwrap().len() == 2 },
    )
    .await;
    worker.stop().await.unwrap();
    let windows = stall::WINDOWS.lock().unwrap().clone();
    assert!(
        windows.iter().all(|&n| n >= 3),
        "ticks per 1s window: {windows:?}"
    );
}

mod http {
    use super::*;
    use asyncworker::http::{Json, Path};

    #[route(http = ["/double/{n}"])]
    fn double(Path(n): Path<u64>) -> Json<u64> {
        Json(n * 2)
    }

    #[route(http = ["/panic"])]
    fn panics() -> &'static str {
        panic!("blocking HTTP handler panics on purpose");
    }
}

/// A blocking HTTP handler gets its extractors and answers; its panic is a 500 like an async
/// handler's, and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_http_handler_answers() {
    let worker = Running::start(
        &format!("{}::http", module_path!()),
        http_settings(&unique_prefix("blocking_http")),
    );
    let base = format!("http://{}", worker.http_addr().await);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let res = client
        .get(format!("{base}/double/21"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap(), "42");
    let res = client.get(format!("{base}/panic")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 500);
    let res = client.get(format!("{base}/double/1")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "2");
    worker.stop().await.unwrap();
}
