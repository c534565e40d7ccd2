//! Helpers for asyncworker's own integration tests: a real RabbitMQ on 127.0.0.1:5672,
//! unique queue names, confirmed publishing, and waiting on conditions with deadlines.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use asyncworker::{Settings, Worker, WorkerError};
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The broker every test talks to.
pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// A prefix no other test run shares: pid, a counter and the time.
pub fn unique_prefix(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() % 1_000_000)
        .unwrap_or(0);
    format!("aw-{}-{t}-{n}-{test}-", std::process::id())
}

/// A test's connection and confirm-mode channel to the broker.
pub struct Broker {
    pub conn: Connection,
    pub channel: Channel,
}

impl Broker {
    pub async fn connect() -> Broker {
        let conn = Connection::connect(AMQP_URL, ConnectionProperties::default())
            .await
            .expect("RabbitMQ must listen on 127.0.0.1:5672 (guest/guest)");
        let channel = conn.create_channel().await.expect("channel");
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .expect("confirm_select");
        Broker { conn, channel }
    }

    /// Declares a durable queue (deleting any leftover of the same name first).
    pub async fn declare(&self, queue: &str) {
        self.declare_with(queue, FieldTable::default()).await;
    }

    /// Declares a durable queue whose rejected messages go to `dlq` (declared too).
    pub async fn declare_with_dlq(&self, queue: &str, dlq: &str) {
        self.declare(dlq).await;
        let mut args = FieldTable::default();
        args.insert(
            ShortString::from("x-dead-letter-exchange"),
            AMQPValue::LongString("".into()),
        );
        args.insert(
            ShortString::from("x-dead-letter-routing-key"),
            AMQPValue::LongString(dlq.into()),
        );
        self.declare_with(queue, args).await;
    }

    pub async fn declare_with(&self, queue: &str, args: FieldTable) {
        let _ = self
            .channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await;
        self.channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                args,
            )
            .await
            .expect("queue_declare");
    }

    pub async fn delete(&self, queue: &str) {
        let _ = self
            .channel
            .queue_delete(queue.into(), QueueDeleteOptions::default())
            .await;
    }

    /// Publishes raw bodies (persistent) and waits for every confirm.
    pub async fn publish_raw(&self, queue: &str, bodies: impl IntoIterator<Item = Vec<u8>>) {
        let mut confirms = Vec::new();
        for body in bodies {
            let c = self
                .channel
                .basic_publish(
                    "".into(),
                    queue.into(),
                    BasicPublishOptions::default(),
                    &body,
                    BasicProperties::default()
                        .with_delivery_mode(2)
                        .with_content_type("application/json".into()),
                )
                .await
                .expect("publish");
            confirms.push(c);
        }
        for c in confirms {
            let confirmation = c.await.expect("confirm");
            assert!(confirmation.is_ack(), "broker nacked a test message");
        }
    }

    /// Publishes JSON values (persistent) and waits for every confirm.
    pub async fn publish_json<T: serde::Serialize>(&self, queue: &str, values: &[T]) {
        self.publish_raw(
            queue,
            values.iter().map(|v| serde_json::to_vec(v).expect("json")),
        )
        .await;
    }

    /// Messages ready in the queue (unacked ones are not counted by the broker here).
    pub async fn ready(&self, queue: &str) -> u32 {
        self.channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .expect("passive declare")
            .message_count()
    }

    /// Fetches and acks every ready message of `queue`, returning the bodies.
    pub async fn drain(&self, queue: &str) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(m) = self
            .channel
            .basic_get(
                queue.into(),
                lapin::options::BasicGetOptions { no_ack: true },
            )
            .await
            .expect("basic_get")
        {
            out.push(m.delivery.data);
        }
        out
    }
}

/// `(ready, unacked, consumers)` as the broker itself reports them.
pub fn broker_counts(queue: &str) -> Option<(u64, u64, u64)> {
    let out = std::process::Command::new("rabbitmqctl")
        .args([
            "-q",
            "list_queues",
            "name",
            "messages_ready",
            "messages_unacknowledged",
            "consumers",
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.len() == 4 && f[0] == queue)
            .then(|| Some((f[1].parse().ok()?, f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}

/// Polls `cond` every 20 ms until it holds or `limit` passes; panics with `what` on timeout.
pub async fn wait_until<F, Fut>(limit: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if cond().await {
            return;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Settings for an in-process worker against the test broker.
pub fn settings(prefix: &str) -> Settings {
    let mut s = Settings::default();
    s.amqp_urls = vec![AMQP_URL.to_owned()];
    s.amqp_queue_prefix = prefix.to_owned();
    s.shutdown_timeout = Duration::from_secs(10);
    s.init_tracing = false;
    s
}

/// A worker running in this process with the routes and hooks of one module.
pub struct Running {
    pub stop: CancellationToken,
    pub task: JoinHandle<Result<(), WorkerError>>,
}

impl Running {
    pub fn start(module: &str, settings: Settings) -> Running {
        init_test_tracing();
        let stop = CancellationToken::new();
        let worker = Worker::new(settings).only_module(module);
        let task = tokio::spawn(worker.run(stop.clone()));
        Running { stop, task }
    }

    /// Asks for a graceful shutdown and waits (bounded) for the worker to return.
    pub async fn stop(self) -> Result<(), WorkerError> {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(60), self.task)
            .await
            .expect("worker did not stop within 60 s")
            .expect("worker task panicked")
    }
}

/// Logs to the test output (`cargo test -- --nocapture` shows them) at `ASYNCWORKER_LOG`.
pub fn init_test_tracing() {
    let filter = std::env::var("ASYNCWORKER_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber_init(&filter);
}

fn tracing_subscriber_init(filter: &str) -> Result<(), ()> {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let filter = filter.to_owned();
    ONCE.call_once(move || {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    });
    Ok(())
}

/// Counts how often each id was handled, and whether a delivery was flagged redelivered.
#[derive(Default)]
pub struct Recorder {
    inner: Mutex<RecorderInner>,
}

#[derive(Default)]
struct RecorderInner {
    counts: HashMap<u64, u32>,
    calls: Vec<Vec<u64>>,
    redelivered: Vec<u64>,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// Records one handler call with these ids.
    pub fn call(&self, ids: &[u64]) {
        let mut g = self.inner.lock().unwrap();
        for id in ids {
            *g.counts.entry(*id).or_default() += 1;
        }
        g.calls.push(ids.to_vec());
    }

    pub fn redelivered(&self, id: u64) {
        self.inner.lock().unwrap().redelivered.push(id);
    }

    pub fn unique(&self) -> usize {
        self.inner.lock().unwrap().counts.len()
    }

    pub fn count(&self, id: u64) -> u32 {
        self.inner
            .lock()
            .unwrap()
            .counts
            .get(&id)
            .copied()
            .unwrap_or(0)
    }

    pub fn calls(&self) -> Vec<Vec<u64>> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub fn redelivered_ids(&self) -> Vec<u64> {
        self.inner.lock().unwrap().redelivered.clone()
    }

    /// Handler invocations per id minus unique ids.
    pub fn duplicates(&self) -> u64 {
        let g = self.inner.lock().unwrap();
        g.counts.values().map(|c| u64::from(c - 1)).sum()
    }

    /// Ids in `0..n` never handled.
    pub fn missing(&self, n: u64) -> Vec<u64> {
        let g = self.inner.lock().unwrap();
        (0..n).filter(|id| !g.counts.contains_key(id)).collect()
    }
}

/// The JSON body the tests publish.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Job {
    pub id: u64,
    #[serde(default)]
    pub tag: String,
}

impl Job {
    pub fn many(n: u64) -> Vec<Job> {
        (0..n)
            .map(|id| Job {
                id,
                tag: String::new(),
            })
            .collect()
    }
}
