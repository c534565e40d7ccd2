//! How messages are settled against the real broker: `on_success` × `on_exception` ×
//! {ack, reject, requeue}, per-message overrides (the last mark wins), and undecodable bodies.
//!
//! Every queue has a dead-letter queue, so the three fates are told apart by the broker
//! itself: an acked message is gone, a rejected one is in the DLQ, a requeued one comes back
//! with `redelivered = true`.

use std::sync::LazyLock;
use std::time::Duration;

use asyncworker::Action;
use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Recorder, Running, job_ids, settings, unique_prefix, wait_for, wait_until,
};

/// The per-message overrides the handlers apply on a first delivery, one message each.
const TAGS: [&str; 6] = [
    "none",
    "accept",
    "reject",
    "requeue",
    "reject-then-requeue",
    "requeue-then-reject",
];

/// What must happen to a message with `tag` when its route's default is `default`.
fn fate(tag: &str, default: Action) -> Action {
    match tag {
        "none" => default,
        "accept" => Action::Ack,
        "reject" | "requeue-then-reject" => Action::Reject,
        "requeue" | "reject-then-requeue" => Action::Requeue,
        other => panic!("unknown tag {other}"),
    }
}

/// The handlers' body: a first delivery gets the mark its tag names (none for "none"); a
/// redelivery is recorded and accepted, so that every requeue ends after one round.
fn apply_tags(seen: &Recorder, messages: &[Message<Job>]) {
    let mut first = Vec::new();
    for m in messages {
        let id = m.body().id;
        if m.redelivered() {
            seen.redelivered(id);
            m.accept();
            continue;
        }
        first.push(id);
        match m.body().tag.as_str() {
            "none" => {}
            "accept" => m.accept(),
            "reject" => m.reject(),
            "requeue" => m.requeue(),
            "reject-then-requeue" => {
                m.reject();
                m.requeue();
            }
            "requeue-then-reject" => {
                m.requeue();
                m.reject();
            }
            other => panic!("unknown tag {other}"),
        }
    }
    seen.call(&first);
}

fn failure() -> std::io::Error {
    std::io::Error::other("the handler fails on purpose")
}

// One module per route so that each test runs exactly one of them. The bulk holds all six
// messages (and a redelivery may share a bulk with first deliveries), so the marks must land
// on the right message of the bulk.
macro_rules! matrix_route {
    ($module:ident, $key:ident = $action:tt, $result:expr) => {
        mod $module {
            use super::*;
            pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

            #[route(amqp = ["q"], bulk_size = 6, bulk_flush = "100ms", $key = $action)]
            async fn handle(messages: Vec<Message<Job>>) -> Result<(), std::io::Error> {
                apply_tags(&SEEN, &messages);
                $result
            }
        }
    };
}

matrix_route!(success_ack, on_success = "ack", Ok(()));
matrix_route!(success_reject, on_success = "reject", Ok(()));
matrix_route!(success_requeue, on_success = "requeue", Ok(()));
matrix_route!(exception_ack, on_exception = "ack", Err(failure()));
matrix_route!(exception_reject, on_exception = "reject", Err(failure()));
matrix_route!(exception_requeue, on_exception = "requeue", Err(failure()));

/// Publishes one message per tag to a queue with a DLQ, runs the route of `module`, and checks
/// each message's fate against [`fate`] with `default` (the route's action for unmarked ones).
async fn run_matrix(module: &str, seen: &Recorder, default: Action) {
    let prefix = unique_prefix(module);
    let q = format!("{prefix}q");
    let dlq = format!("{prefix}q.dlq");
    let broker = Broker::connect().await;
    broker.declare_with_dlq(&q, &dlq).await;
    let jobs: Vec<Job> = TAGS
        .iter()
        .enumerate()
        .map(|(i, tag)| Job {
            id: i as u64,
            tag: (*tag).to_owned(),
        })
        .collect();
    broker.publish_json(&q, &jobs).await;
    let expected = |action: Action| -> Vec<u64> {
        jobs.iter()
            .filter(|j| fate(&j.tag, default) == action)
            .map(|j| j.id)
            .collect()
    };
    let (want_requeued, want_rejected) = (expected(Action::Requeue), expected(Action::Reject));

    let worker = Running::start(&format!("{}::{module}", module_path!()), settings(&prefix));
    let (b, d) = (&broker, dlq.as_str());
    let (n_jobs, n_requeued, n_rejected) = (jobs.len(), want_requeued.len(), want_rejected.len());
    let settled = wait_for(Duration::from_secs(8), || async move {
        seen.unique() == n_jobs
            && seen.redelivered_ids().len() >= n_requeued
            && b.ready(d).await as usize >= n_rejected
    })
    .await;
    worker.stop().await.unwrap();

    // After the stop nothing is unacked any more: whatever was not settled is ready again.
    let left = broker.ready(&q).await;
    let mut redelivered = seen.redelivered_ids();
    redelivered.sort_unstable();
    let dead = job_ids(&broker.drain(&dlq).await);
    let state = format!(
        "route default {default}: first deliveries per id {:?}; redelivered {redelivered:?}; \
         in the DLQ {dead:?}; left in the queue {left}; settled in time: {settled}",
        (0..jobs.len() as u64)
            .map(|id| seen.count(id))
            .collect::<Vec<_>>(),
    );
    for j in &jobs {
        assert_eq!(seen.count(j.id), 1, "id {} ({}): {state}", j.id, j.tag);
    }
    assert_eq!(
        redelivered, want_requeued,
        "requeued messages (and only those) come back once: {state}"
    );
    assert_eq!(
        dead, want_rejected,
        "rejected messages (and only those) are dead-lettered: {state}"
    );
    assert_eq!(left, 0, "acked messages are gone: {state}");
    broker.delete(&q).await;
    broker.delete(&dlq).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_success_ack() {
    run_matrix("success_ack", &success_ack::SEEN, Action::Ack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_success_reject() {
    run_matrix("success_reject", &success_reject::SEEN, Action::Reject).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_success_requeue() {
    run_matrix("success_requeue", &success_requeue::SEEN, Action::Requeue).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_exception_ack() {
    run_matrix("exception_ack", &exception_ack::SEEN, Action::Ack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_exception_reject() {
    run_matrix("exception_reject", &exception_reject::SEEN, Action::Reject).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_exception_requeue() {
    run_matrix(
        "exception_requeue",
        &exception_requeue::SEEN,
        Action::Requeue,
    )
    .await;
}

// --- undecodable bodies ---------------------------------------------------------------------

/// Four valid jobs with an undecodable body in the middle.
fn with_bad_body() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = Job::many(4)
        .iter()
        .map(|j| serde_json::to_vec(j).unwrap())
        .collect();
    bodies.insert(2, b"not json".to_vec());
    bodies
}

mod decode_reject {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // Default on_decode_error: reject. Five messages arrive; if the bad one took a place in
    // the bucket it would fill it (size 5) and the handler would get it.
    #[route(amqp = ["q"], bulk_size = 5, bulk_flush = "300ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

mod decode_ack {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], bulk_size = 5, bulk_flush = "300ms", on_decode_error = "ack")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

/// Runs a decode scenario and returns what ended in the DLQ.
async fn run_decode(module: &str, seen: &Recorder, dlq_expected: usize) -> Vec<Vec<u8>> {
    let prefix = unique_prefix(module);
    let q = format!("{prefix}q");
    let dlq = format!("{prefix}q.dlq");
    let broker = Broker::connect().await;
    broker.declare_with_dlq(&q, &dlq).await;
    broker.publish_raw(&q, with_bad_body()).await;

    let worker = Running::start(&format!("{}::{module}", module_path!()), settings(&prefix));
    let (b, d) = (&broker, dlq.as_str());
    wait_until(
        Duration::from_secs(5),
        "the 4 valid messages handled and the bad one settled",
        || async move { seen.unique() == 4 && b.ready(d).await as usize >= dlq_expected },
    )
    .await;
    worker.stop().await.unwrap();

    assert_eq!(
        seen.calls(),
        vec![vec![0, 1, 2, 3]],
        "one call with exactly the valid messages"
    );
    assert_eq!(broker.ready(&q).await, 0, "the main queue is empty");
    let dead = broker.drain(&dlq).await;
    broker.delete(&q).await;
    broker.delete(&dlq).await;
    dead
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_body_is_rejected_by_default() {
    let dead = run_decode("decode_reject", &decode_reject::SEEN, 1).await;
    assert_eq!(
        dead,
        vec![b"not json".to_vec()],
        "the bad body is dead-lettered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_body_acked_with_on_decode_error_ack() {
    let dead = run_decode("decode_ack", &decode_ack::SEEN, 0).await;
    assert!(
        dead.is_empty(),
        "an acked bad body is not dead-lettered: {:?}",
        dead.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect::<Vec<_>>()
    );
}

// --- coalesced acks -------------------------------------------------------------------------

/// A TCP proxy between the worker and the broker that records every `basic.ack` the worker
/// sends, as `(delivery_tag, multiple)`. Plain threads: the proxy needs no runtime.
struct AckSpy {
    port: u16,
    acks: std::sync::Arc<std::sync::Mutex<Vec<(u64, bool)>>>,
}

impl AckSpy {
    fn start() -> AckSpy {
        use std::io::{Read, Write};
        use std::net::{Shutdown, TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let acks = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = std::sync::Arc::clone(&acks);
        // Ends with the test process; it only ever serves this test's worker.
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { continue };
                let Ok(mut server) = TcpStream::connect("127.0.0.1:5672") else {
                    continue;
                };
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s2, &mut c2);
                    let _ = c2.shutdown(Shutdown::Both);
                });
                let record = std::sync::Arc::clone(&record);
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 16 * 1024];
                    let mut header_done = false;
                    loop {
                        let n = match client.read(&mut chunk) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if server.write_all(&chunk[..n]).is_err() {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if !header_done {
                            if buf.len() < 8 {
                                continue;
                            }
                            buf.drain(..8); // "AMQP\0\0\x09\x01"
                            header_done = true;
                        }
                        // Frame: type u8, channel u16, size u32, payload, 0xCE.
                        while buf.len() >= 7 {
                            let size = u32::from_be_bytes(buf[3..7].try_into().unwrap()) as usize;
                            if buf.len() < 7 + size + 1 {
                                break;
                            }
                            let payload = &buf[7..7 + size];
                            // A method frame of basic.ack (class 60, method 80).
                            if buf[0] == 1 && size >= 13 && payload[..4] == [0, 60, 0, 80] {
                                let tag = u64::from_be_bytes(payload[4..12].try_into().unwrap());
                                record.lock().unwrap().push((tag, payload[12] & 1 == 1));
                            }
                            buf.drain(..7 + size + 1);
                        }
                    }
                    let _ = server.shutdown(Shutdown::Both);
                });
            }
        });
        AckSpy { port, acks }
    }

    fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    fn acks(&self) -> Vec<(u64, bool)> {
        self.acks.lock().unwrap().clone()
    }
}

mod coalesced {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], bulk_size = 50, bulk_flush = "1h")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

/// A bulk of 50 acked messages costs one `basic.ack(multiple = true)` frame, not 50.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_of_a_bulk_are_coalesced() {
    let prefix = unique_prefix("coalesce");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(50)).await;

    let spy = AckSpy::start();
    let mut s = settings(&prefix);
    s.amqp_urls = vec![spy.url()];
    let worker = Running::start(&format!("{}::coalesced", module_path!()), s);
    wait_until(Duration::from_secs(5), "one bulk of 50 handled", || async {
        coalesced::SEEN.unique() == 50
    })
    .await;
    // A graceful stop sends every settlement before the channel closes.
    worker.stop().await.unwrap();

    assert_eq!(coalesced::SEEN.calls().len(), 1);
    assert_eq!(
        spy.acks(),
        vec![(50, true)],
        "one multiple ack up to the 50th delivery"
    );
    assert_eq!(broker.ready(&q).await, 0, "all 50 were acked");
    broker.delete(&q).await;
}
