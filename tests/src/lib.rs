//! Helpers for asyncworker's own integration tests: a real RabbitMQ on 127.0.0.1:5672,
//! unique queue names, confirmed publishing, and waiting on conditions with deadlines.

pub mod captured_logs;
pub mod certs;
pub mod cluster;
pub mod first_bytes;
pub mod rabbit_node;
pub mod rabbitmqctl;
pub mod script_hold;
pub mod sqs;
pub mod tls_broker;
pub mod tools;

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
        Broker::connect_to(AMQP_URL).await
    }

    /// The same, to the broker at `url` (a private node, say).
    pub async fn connect_to(url: &str) -> Broker {
        let conn = Connection::connect(url, ConnectionProperties::default())
            .await
            .unwrap_or_else(|e| panic!("RabbitMQ must listen at {url}: {e}"));
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

    /// Declares a durable queue, keeping it (and its messages) if it exists.
    pub async fn declare_keep(&self, queue: &str) {
        self.channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    durable: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
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
        self.publish_raw_to("", queue, bodies).await;
    }

    /// Publishes raw bodies (persistent) to `exchange` with `routing_key` and waits for every
    /// confirm.
    pub async fn publish_raw_to(
        &self,
        exchange: &str,
        routing_key: &str,
        bodies: impl IntoIterator<Item = Vec<u8>>,
    ) {
        let mut confirms = Vec::new();
        for body in bodies {
            let c = self
                .channel
                .basic_publish(
                    exchange.into(),
                    routing_key.into(),
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

    /// Publishes one JSON value (persistent) with `properties` (headers, message id) added,
    /// and waits for its confirm.
    pub async fn publish_json_with<T: serde::Serialize>(
        &self,
        queue: &str,
        value: &T,
        properties: BasicProperties,
    ) {
        let body = serde_json::to_vec(value).expect("json");
        let confirm = self
            .channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &body,
                properties
                    .with_delivery_mode(2)
                    .with_content_type("application/json".into()),
            )
            .await
            .expect("publish")
            .await
            .expect("confirm");
        assert!(confirm.is_ack(), "broker nacked a test message");
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
        let messages = self.take_all(queue).await;
        messages.into_iter().map(|m| m.delivery.data).collect()
    }

    /// Fetches and acks every ready message of `queue`, with its properties and headers.
    pub async fn take_all(&self, queue: &str) -> Vec<lapin::message::BasicGetMessage> {
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
            out.push(m);
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
    // Without routes of their own, test workers serve no HTTP (8080 would collide).
    s.http_enabled = false;
    s
}

/// [`settings`] with the HTTP server on, at a free port of 127.0.0.1 (read it with
/// [`Running::http_addr`]).
pub fn http_settings(prefix: &str) -> Settings {
    let mut s = settings(prefix);
    s.http_enabled = true;
    s.http_port = 0;
    s
}

/// Deletes its queues from the shared broker when dropped, at a test's end or in its panic:
/// the node on 5672 is left as the test found it. Declare it before the worker, so that it
/// drops after the worker has stopped.
///
/// ```no_run
/// # let prefix = asyncworker_tests::unique_prefix("doc");
/// let _queues = asyncworker_tests::DeleteOnDrop::prefixed(&prefix, ["jobs", "jobs.retry"]);
/// ```
pub struct DeleteOnDrop(Vec<String>);

impl DeleteOnDrop {
    /// The queues `prefix` + each name.
    pub fn prefixed<'a>(prefix: &str, names: impl IntoIterator<Item = &'a str>) -> DeleteOnDrop {
        DeleteOnDrop(names.into_iter().map(|q| format!("{prefix}{q}")).collect())
    }
}

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        let queues = std::mem::take(&mut self.0);
        block_on_own_thread(move || async move {
            let broker = Broker::connect().await;
            for queue in &queues {
                broker.delete(queue).await;
            }
        });
    }
}

/// Runs the future `work` makes to its end from code that cannot await (a `Drop`), on a
/// thread with a runtime of its own: the caller may be on a runtime's thread, which must not
/// be blocked on. The future is made on that thread, so it need not be `Send`. `None` if the
/// work panicked.
pub fn block_on_own_thread<T, F>(work: impl FnOnce() -> F + Send + 'static) -> Option<T>
where
    T: Send + 'static,
    F: Future<Output = T>,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime of its own")
            .block_on(work())
    })
    .join()
    .ok()
}

/// A worker running in this process with the routes and hooks of one module.
pub struct Running {
    pub stop: CancellationToken,
    pub task: JoinHandle<Result<(), WorkerError>>,
    pub app: asyncworker::App,
}

impl Running {
    pub fn start(module: &str, settings: Settings) -> Running {
        init_test_tracing();
        let stop = CancellationToken::new();
        let worker = Worker::new(settings).only_module(module);
        let app = worker.app();
        let task = tokio::spawn(worker.run(stop.clone()));
        Running { stop, task, app }
    }

    /// The address the worker's HTTP server listens on, once bound; panics after 10 s.
    pub async fn http_addr(&self) -> std::net::SocketAddr {
        let start = Instant::now();
        loop {
            if let Some(addr) = self.app.http_addr() {
                return addr;
            }
            assert!(
                !self.task.is_finished(),
                "the worker stopped before its HTTP server listened"
            );
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the HTTP server did not listen within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
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

/// Like [`wait_until`], but returns whether `cond` held within `limit` instead of panicking,
/// so that a test can go on to report exactly what state it found.
pub async fn wait_for<F, Fut>(limit: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if cond().await {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The sorted ids of raw [`Job`] bodies (e.g. what [`Broker::drain`] returned); a body that is
/// not a `Job` panics with its text.
pub fn job_ids(bodies: &[Vec<u8>]) -> Vec<u64> {
    let mut ids: Vec<u64> = bodies
        .iter()
        .map(|b| {
            serde_json::from_slice::<Job>(b)
                .unwrap_or_else(|e| panic!("not a Job ({e}): {:?}", String::from_utf8_lossy(b)))
                .id
        })
        .collect();
    ids.sort_unstable();
    ids
}

/// [`broker_counts`] run on the blocking pool, so that polling it does not stall the runtime
/// the worker under test shares.
pub async fn broker_counts_async(queue: &str) -> Option<(u64, u64, u64)> {
    let queue = queue.to_owned();
    tokio::task::spawn_blocking(move || broker_counts(&queue))
        .await
        .expect("rabbitmqctl task panicked")
}

/// Waits until the broker shows `queue` with no consumer and nothing unacked (every channel
/// of the worker is gone and whatever it held is back in the queue), then returns how many
/// messages are ready. Panics after `limit`, naming the last counts seen.
pub async fn settled_ready(queue: &str, limit: Duration) -> u64 {
    let start = Instant::now();
    loop {
        let counts = broker_counts_async(queue).await;
        if let Some((ready, 0, 0)) = counts {
            return ready;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {queue} to have no consumer and nothing \
             unacked; last (ready, unacked, consumers) = {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A worker binary run as a child process: stdout lines and stderr text are collected by two
/// threads; the child is killed (and reaped) on drop if it is still running.
pub struct Proc {
    child: std::process::Child,
    stdout: std::sync::Arc<Mutex<Vec<String>>>,
    stderr: std::sync::Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Proc {
    /// Runs worker binary `bin` as `--check --only amqp` with `queue_prefix`, to its end
    /// (60 s at most): its exit code and its stdout lines (the report).
    pub async fn check_amqp(bin: &str, queue_prefix: &str) -> (Option<i32>, Vec<String>) {
        let mut cmd = std::process::Command::new(bin);
        cmd.args(["--check", "--only", "amqp"])
            .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", queue_prefix)
            .env("ASYNCWORKER_HTTP_PORT", "0");
        let mut proc = Proc::spawn(cmd);
        let status = proc.wait(Duration::from_secs(60)).await;
        (status.code(), proc.stdout())
    }

    /// Spawns `cmd` with piped stdout and stderr (and no stdin).
    pub fn spawn(mut cmd: std::process::Command) -> Proc {
        use std::io::BufRead;
        use std::process::Stdio;
        // Test workers serve no HTTP unless the test asks (8080 would collide).
        if !cmd
            .get_envs()
            .any(|(k, _)| k == "ASYNCWORKER_HTTP_ENABLED" || k == "ASYNCWORKER_HTTP_PORT")
        {
            cmd.env("ASYNCWORKER_HTTP_ENABLED", "false");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {cmd:?}: {e}"));
        let stdout = std::sync::Arc::new(Mutex::new(Vec::new()));
        let stderr = std::sync::Arc::new(Mutex::new(String::new()));
        let out_pipe = child.stdout.take().expect("stdout");
        let err_pipe = child.stderr.take().expect("stderr");
        let out = std::sync::Arc::clone(&stdout);
        let err = std::sync::Arc::clone(&stderr);
        let readers = vec![
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(out_pipe).lines() {
                    let Ok(line) = line else { break };
                    out.lock().unwrap().push(line);
                }
            }),
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(err_pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut e = err.lock().unwrap();
                    e.push_str(&line);
                    e.push('\n');
                }
            }),
        ];
        Proc {
            child,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every stdout line so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// Everything on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The address of the worker's HTTP server, from its `listening on http://...` log line
    /// (stdout or stderr); panics if none is logged within `limit`.
    pub async fn http_addr(&self, limit: Duration) -> std::net::SocketAddr {
        const NEEDLE: &str = "listening on http://";
        let start = Instant::now();
        loop {
            let stderr = self.stderr();
            let found = self
                .stdout()
                .iter()
                .map(String::as_str)
                .chain(stderr.lines())
                .find_map(|line| {
                    let at = line.find(NEEDLE)? + NEEDLE.len();
                    line[at..]
                        .split(|c: char| c.is_whitespace() || c == '"')
                        .next()?
                        .parse()
                        .ok()
                });
            if let Some(addr) = found {
                return addr;
            }
            assert!(
                start.elapsed() < limit,
                "the worker did not log its address within {limit:?}; stdout: {:?}; stderr: {stderr}",
                self.stdout()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a signal by name (`"TERM"`, `"INT"`, ...) with `kill(1)`.
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill -{name} {} failed", self.pid());
    }

    /// Waits (polling, bounded) for the child to exit, then for its output to be read to the
    /// end. Panics after `limit` (the child is then killed by `Drop`).
    pub async fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                start.elapsed() < limit,
                "the worker process did not exit within {limit:?}; stdout: {:?}; stderr: {}",
                self.stdout(),
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        status
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
