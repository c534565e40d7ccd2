//! The worker of the SQS tests (`tests/tests/sqs.rs`), one route per behaviour, each on queues
//! of its own; every handler prints what it saw, one line per message, for the test to count.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use asyncworker::prelude::*;
use asyncworker_tests::Job;

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Two queues, bulks of up to 25, two calls at once.
#[route(sqs = ["sqs-a", "sqs-b"], bulk_size = 25, bulk_flush = "200ms", concurrency = 2)]
async fn bulk(messages: Vec<SqsMessage<Job>>) {
    println!("BULK {}", messages.len());
    for m in &messages {
        println!("HANDLED {} {}", m.queue(), m.body().id);
    }
}

/// Requeues every first attempt.
#[route(sqs = ["sqs-requeue"])]
async fn requeue(message: SqsMessage<Job>) {
    println!(
        "SEEN {} {} {}",
        message.body().id,
        message.attempt(),
        now_ms()
    );
    if message.attempt() == 1 {
        message.requeue();
    }
}

/// Always fails: two retries a second apart, then the dead-letter queue.
#[route(sqs = ["sqs-retry"], retries = 2, retry_delay = "1s", dead_letter = "sqs-retry-dlq")]
async fn retry(message: SqsMessage<Job>) -> Result<(), String> {
    println!(
        "ATTEMPT {} {} {}",
        message.body().id,
        message.attempt(),
        now_ms()
    );
    Err("always fails".to_owned())
}

/// Always fails and requeues: the queue's own redrive policy moves it.
#[route(sqs = ["sqs-redrive"])]
async fn redrive(message: SqsMessage<Job>) -> Result<(), String> {
    println!("REDRIVE {} {}", message.body().id, message.attempt());
    Err("always fails".to_owned())
}

/// Runs for 5 s on messages that are invisible for 2 s.
#[route(sqs = ["sqs-slow"], visibility_timeout = "2s")]
async fn slow(message: SqsMessage<Job>) {
    println!("START {} {}", message.body().id, message.attempt());
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!("DONE {}", message.body().id);
}

/// A bucket that only a shutdown flushes.
#[route(sqs = ["sqs-hold"], bulk_size = 100, bulk_flush = "10m")]
async fn hold(messages: Vec<SqsMessage<Job>>) {
    for m in &messages {
        println!("HELD {}", m.body().id);
    }
}

/// Never finishes in time.
#[route(sqs = ["sqs-stuck"])]
async fn stuck(message: SqsMessage<Job>) {
    println!("STUCK {}", message.body().id);
    tokio::time::sleep(Duration::from_secs(600)).await;
}

/// Four calls at once, each pausing a little (more for some ids) before it prints: without
/// the group gate, a later message of a group would often print first. A short long poll:
/// moto's receive decides which groups are busy when it starts, so a 20 s poll begun while
/// both groups are in flight returns nothing for 20 s (SQS itself answers once a group
/// frees).
#[route(sqs = ["sqs-orders.fifo"], bulk_size = 5, bulk_flush = "20ms", concurrency = 4, wait_time = "1s")]
async fn fifo(messages: Vec<SqsMessage<Job>>) {
    let pause = messages.iter().map(|m| m.body().id % 7).sum::<u64>();
    tokio::time::sleep(Duration::from_millis(pause)).await;
    for m in &messages {
        println!("FIFO {} {}", m.group_id().unwrap_or("-"), m.body().id);
    }
}

/// Sends each message on with `app.sqs()`: to a standard queue, to a FIFO queue, and to a
/// queue that does not exist (printing the error).
#[route(sqs = ["sqs-forward"])]
async fn forward(app: App, message: SqsMessage<Job>) -> anyhow::Result<()> {
    let sqs = app.sqs();
    let id = sqs.send("sqs-out", message.body()).await?;
    println!("SENT {id}");
    let group = format!("g{}", message.body().id % 2);
    sqs.group(&group)
        .send("sqs-out.fifo", message.body())
        .await?;
    let batch = sqs.send_batch("sqs-out", &Job::many(12)).await;
    println!("BATCH {}", batch.iter().filter(|r| r.is_ok()).count());
    match sqs.send("sqs-missing", message.body()).await {
        Err(asyncworker::sqs::SqsSendError::Refused { code, .. }) => println!("REFUSED {code}"),
        other => println!("UNEXPECTED {other:?}"),
    }
    Ok(())
}

asyncworker::main!();
