//! `bench-quorum fill`: re-creates the queue as a quorum queue and fills it, with confirms.

use std::collections::VecDeque;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};

use crate::{BoxError, env_num, env_or};

/// A ~`size`-byte JSON body unique per message: the harness's `make_body`.
fn body(i: u64, size: usize) -> Vec<u8> {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let head = format!("{{\"id\":{i},\"kind\":\"bench\",\"ts\":{ts},\"payload\":\"");
    let tail = "\"}";
    let pad = size.saturating_sub(head.len() + tail.len());
    let mut v = Vec::with_capacity(head.len() + pad + tail.len());
    v.extend_from_slice(head.as_bytes());
    v.resize(head.len() + pad, b'x');
    v.extend_from_slice(tail.as_bytes());
    v
}

/// (ready, consumers) from a passive declare.
pub async fn depth(ch: &Channel, queue: &str) -> Result<(u32, u32), BoxError> {
    let q = ch
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok((q.message_count(), q.consumer_count()))
}

/// Deletes and declares `queue` as a durable quorum queue; refuses one with consumers (a
/// run still going, or someone else's).
async fn recreate(conn: &Connection, queue: &str) -> Result<Channel, BoxError> {
    let probe = conn.create_channel().await?;
    if let Ok((_, consumers)) = depth(&probe, queue).await
        && consumers > 0
    {
        return Err(format!("queue {queue} has {consumers} consumer(s); set BENCH_QUEUE").into());
    }
    let ch = conn.create_channel().await?;
    ch.queue_delete(queue.into(), QueueDeleteOptions::default())
        .await?;
    let mut args = FieldTable::default();
    args.insert(
        ShortString::from("x-queue-type"),
        AMQPValue::LongString("quorum".into()),
    );
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    ch.queue_declare(queue.into(), durable, args).await?;
    Ok(ch)
}

/// `bench-quorum fill`.
pub async fn run() -> Result<(), BoxError> {
    let url = env_or("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f");
    let queue = env_or("BENCH_QUEUE", "aw.bench.quorum");
    let n: u64 = env_num("BENCH_N", "200000")?;
    let window: usize = env_num("BENCH_WINDOW", "4096")?;
    let size: usize = env_num("BENCH_SIZE", "200")?;
    let conn = Connection::connect(&url, ConnectionProperties::default()).await?;
    let ch = recreate(&conn, &queue).await?;
    ch.confirm_select(ConfirmSelectOptions::default()).await?;
    let props = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into());
    let started = Instant::now();
    let mut in_flight = VecDeque::with_capacity(window + 1);
    let mut nacks = 0u64;
    for i in 0..n {
        let confirm = ch
            .basic_publish(
                "".into(),
                queue.as_str().into(),
                BasicPublishOptions::default(),
                &body(i, size),
                props.clone(),
            )
            .await?;
        in_flight.push_back(confirm);
        if in_flight.len() >= window.max(1) {
            nacks += u64::from(!in_flight.pop_front().expect("one").await?.is_ack());
        }
    }
    while let Some(confirm) = in_flight.pop_front() {
        nacks += u64::from(!confirm.await?.is_ack());
    }
    let secs = started.elapsed().as_secs_f64();
    let (ready, consumers) = depth(&ch, &queue).await?;
    conn.close(200, "filled".into()).await.ok();
    if nacks > 0 || u64::from(ready) != n || consumers != 0 {
        return Err(format!(
            "prefill check failed: nacks={nacks} ready={ready} (want {n}) consumers={consumers}"
        )
        .into());
    }
    eprintln!(
        "[bench-quorum fill] {n} persistent msgs into quorum queue {queue} in {secs:.2}s ({:.0} msg/s)",
        n as f64 / secs.max(1e-9)
    );
    Ok(())
}
