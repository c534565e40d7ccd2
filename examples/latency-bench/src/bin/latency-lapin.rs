//! Raw lapin consumer for `scripts/bench-latency.sh`: prefetch `BENCH_PREFETCH` (256), one
//! awaited ack per message, each delivery's latency recorded before its ack (where our
//! worker's handler would run). Env: `AMQP_URL`, `BENCH_QUEUE`, `BENCH_LABEL`.

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use latency_bench::{Recorder, Stamp, env_or};

#[tokio::main]
async fn main() -> lapin::Result<()> {
    let recorder = Recorder::from_env("lapin");
    let url = env_or("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f");
    let queue = env_or("BENCH_QUEUE", "aw.bench.latency");
    let prefetch: u16 = env_or("BENCH_PREFETCH", "256")
        .parse()
        .expect("BENCH_PREFETCH");

    let connection = Connection::connect(&url, ConnectionProperties::default()).await?;
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let mut consumer = channel
        .basic_consume(
            queue.as_str().into(),
            "latency-lapin".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    while let Some(delivery) = consumer.next().await {
        let delivery = delivery?;
        recorder.record(Stamp::from_lapin(delivery.properties.headers().as_ref()));
        delivery.ack(BasicAckOptions::default()).await?;
    }
    Ok(())
}
