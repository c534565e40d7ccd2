//! What every scenario's handler does: the body of each message says how to treat it, and every
//! delivery and every publish is written down, so that a run can be read back afterwards.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use asyncworker::amqp::BasicProperties;
use asyncworker::prelude::*;
use serde::{Deserialize, Serialize};

/// A handler told to sleep sleeps this long: far beyond every route's `timeout`.
const SLEEP: Duration = Duration::from_secs(10);

/// The body of every message the scenarios publish: what the handler does with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cmd {
    pub id: u64,
    /// Applied in order (the last one wins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
    /// How the call fails when this message is in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<Fail>,
    /// The marks, the failure and the publish apply to first deliveries (never to a
    /// redelivery) up to this attempt; any other delivery is accepted and does nothing, which
    /// keeps requeues and retries finite on a real broker.
    #[serde(default = "first_attempt_only")]
    pub upto: u32,
    /// Publish `{"id", "attempt"}` to `<queue>.out` through `app.amqp()`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub publish: bool,
    /// The mark of every other delivery (default: accept); never a requeue, which would
    /// come back forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otherwise: Option<Mark>,
}

fn first_attempt_only() -> u32 {
    1
}

/// A per-message mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Accept,
    Reject,
    Requeue,
}

impl Mark {
    fn apply(self, m: &Message<Cmd>) {
        match self {
            Mark::Accept => m.accept(),
            Mark::Reject => m.reject(),
            Mark::Requeue => m.requeue(),
        }
    }
}

/// How a call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fail {
    /// Returns `Err`.
    Error,
    Panic,
    /// Sleeps past the route's `timeout`.
    Sleep,
}

impl Cmd {
    pub fn new(id: u64) -> Cmd {
        Cmd {
            id,
            marks: Vec::new(),
            fail: None,
            upto: first_attempt_only(),
            publish: false,
            otherwise: None,
        }
    }

    pub fn mark(mut self, mark: Mark) -> Cmd {
        self.marks.push(mark);
        self
    }

    pub fn fail(mut self, fail: Fail) -> Cmd {
        self.fail = Some(fail);
        self
    }

    /// Behaves on attempts `1..=upto` instead of the first one only.
    pub fn upto(mut self, upto: u32) -> Cmd {
        self.upto = upto;
        self
    }

    pub fn publish(mut self) -> Cmd {
        self.publish = true;
        self
    }

    /// Marks the deliveries it does not apply to with `mark` instead of accepting them.
    pub fn otherwise(mut self, mark: Mark) -> Cmd {
        assert_ne!(
            mark,
            Mark::Requeue,
            "a requeue on every redelivery never ends"
        );
        self.otherwise = Some(mark);
        self
    }

    fn active(&self, m: &Message<Cmd>) -> bool {
        !m.redelivered() && m.attempt() <= self.upto
    }
}

/// One delivery a handler saw.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The handler call it came in (calls are numbered across the process).
    pub call: u64,
    /// The queue, with the run's queue prefix.
    pub queue: String,
    pub id: u64,
    pub attempt: u32,
    pub redelivered: bool,
    /// The exchange and routing key it came with.
    pub exchange: String,
    pub routing_key: String,
    /// Its properties and headers, as the handler got them.
    pub properties: BasicProperties,
}

static DELIVERIES: Mutex<Vec<Delivery>> = Mutex::new(Vec::new());
/// The queues published to (with the run's prefix), once per confirmed publish.
static PUBLISHED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static CALLS: AtomicU64 = AtomicU64::new(0);

/// The deliveries seen on queues whose name starts with `prefix` (one run's), in order.
pub fn deliveries(prefix: &str) -> Vec<Delivery> {
    let all = DELIVERIES.lock().unwrap();
    all.iter()
        .filter(|d| d.queue.starts_with(prefix))
        .cloned()
        .collect()
}

/// How many publishes of the handlers went to queues starting with `prefix`.
pub fn publishes(prefix: &str) -> usize {
    let all = PUBLISHED.lock().unwrap();
    all.iter().filter(|q| q.starts_with(prefix)).count()
}

/// The body of every scenario's handler: records the bulk, then does what each active message
/// says; the first failure among them decides how the call ends.
pub async fn behave(app: &App, messages: Vec<Message<Cmd>>) -> Result<(), String> {
    record(&messages);
    let mut failure = None;
    for m in &messages {
        let cmd = m.body();
        if !cmd.active(m) {
            cmd.otherwise.unwrap_or(Mark::Accept).apply(m);
            continue;
        }
        for mark in &cmd.marks {
            mark.apply(m);
        }
        if cmd.publish {
            publish(app, m).await?;
        }
        failure = failure.or(cmd.fail.map(|f| (f, cmd.id)));
    }
    match failure {
        None => Ok(()),
        Some((Fail::Error, id)) => Err(format!("message {id} fails on purpose")),
        Some((Fail::Panic, id)) => panic!("message {id} panics on purpose"),
        Some((Fail::Sleep, _)) => {
            tokio::time::sleep(SLEEP).await;
            Ok(())
        }
    }
}

fn record(messages: &[Message<Cmd>]) {
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let mut all = DELIVERIES.lock().unwrap();
    all.extend(messages.iter().map(|m| Delivery {
        call,
        queue: m.queue().to_owned(),
        id: m.body().id,
        attempt: m.attempt(),
        redelivered: m.redelivered(),
        exchange: m.exchange().to_owned(),
        routing_key: m.routing_key().to_owned(),
        properties: m.properties().clone(),
    }));
}

/// The handlers' own publish, the way a user's handler would do it.
async fn publish(app: &App, m: &Message<Cmd>) -> Result<(), String> {
    let target = format!("{}.out", m.queue());
    let body = serde_json::json!({"id": m.body().id, "attempt": m.attempt()});
    app.amqp()
        .publish("", &target, &body)
        .await
        .map_err(|e| format!("cannot publish to {target}: {e}"))?;
    PUBLISHED.lock().unwrap().push(target);
    Ok(())
}
