//! A queue that does not exist when the worker starts is retried (never a crash) and consumed
//! as soon as someone declares it.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use asyncworker::prelude::*;
use asyncworker_tests::{
    Broker, Job, Recorder, Running, broker_counts_async, settings, settled_ready, unique_prefix,
    wait_until,
};

mod late {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    // `present` exists from the start and shows when the worker is up; `later` does not.
    #[route(amqp = ["present", "later"], bulk_size = 5, bulk_flush = "100ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_declared_after_start_is_consumed() {
    let prefix = unique_prefix("missingq");
    let present = format!("{prefix}present");
    let later = format!("{prefix}later");
    let broker = Broker::connect().await;
    broker.declare(&present).await;
    broker
        .publish_json(
            &present,
            &[Job {
                id: 1000,
                tag: String::new(),
            }],
        )
        .await;

    let worker = Running::start(&format!("{}::late", module_path!()), settings(&prefix));
    wait_until(
        Duration::from_secs(10),
        "the worker to consume `present`",
        || async { late::SEEN.count(1000) == 1 },
    )
    .await;
    assert!(
        broker_counts_async(&later).await.is_none(),
        "`later` must not exist yet"
    );
    assert!(
        !worker.task.is_finished(),
        "a missing queue must not stop the worker"
    );

    broker.declare(&later).await;
    broker.publish_json(&later, &Job::many(5)).await;
    let t = Instant::now();
    wait_until(
        Duration::from_secs(10),
        "the late queue's messages",
        || async { (0..5).all(|id| late::SEEN.count(id) == 1) },
    )
    .await;
    println!(
        "messages on the late queue handled {:?} after it was declared",
        t.elapsed()
    );
    worker.stop().await.expect("the worker stops cleanly");
    assert_eq!(settled_ready(&later, Duration::from_secs(10)).await, 0);
    assert_eq!(settled_ready(&present, Duration::from_secs(10)).await, 0);
    assert!(late::SEEN.missing(5).is_empty());
    broker.delete(&later).await;
    broker.delete(&present).await;
}
