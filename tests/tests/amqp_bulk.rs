//! Bulks against the real broker: by size, by deadline, and two queues sharing one bucket.

use std::sync::LazyLock;
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker_tests::{Broker, Job, Recorder, Running, settings, unique_prefix, wait_until};

mod by_size {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // The deadline can never fire during the test, so only the size can flush.
    #[route(amqp = ["q"], bulk_size = 10, bulk_flush = "1h")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_by_size() {
    let prefix = unique_prefix("size");
    let q = format!("{prefix}q");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(20)).await;

    let worker = Running::start(module_path!(), settings(&prefix));
    let worker_mod = format!("{}::by_size", module_path!());
    let _ = worker_mod;
    wait_until(Duration::from_secs(20), "two bulks of 10", || async {
        by_size::SEEN.unique() == 20
    })
    .await;
    worker.stop().await.unwrap();
    let calls = by_size::SEEN.calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.iter().all(|c| c.len() == 10), "{calls:?}");
    assert_eq!(broker.ready(&q).await, 0);
    broker.delete(&q).await;
}
