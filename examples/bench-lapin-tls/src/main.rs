//! Raw lapin consumer over `amqps://`, the baseline of `scripts/bench-amqp-tls.sh`: the work
//! of the harness's `lapin-consumer` in its `BENCH_ACK=multiple` mode (one
//! `basic.ack(multiple)` per `BENCH_BULK` messages, a partial bulk acked after
//! `BENCH_FLUSH_MS` idle), plus decoding each body as JSON, which `bench-consumer` does too
//! (`Message<IgnoredAny>`), so the two do the same work per message.
//!
//! env: `AMQP_URL` (an `amqps://` URL, set by the harness), `BENCH_QUEUE`, `BENCH_PREFETCH`
//! (default 1024), `BENCH_BULK` (default 100), `BENCH_FLUSH_MS` (default 20),
//! `BENCH_TLS_CA_FILE` (PEM, extra roots for a private CA, as asyncworker's
//! `ASYNCWORKER_AMQP_TLS_CA_FILE`).

use std::process::ExitCode;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::tcp::OwnedTLSConfig;
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};
use serde::de::IgnoredAny;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn env_num<T: std::str::FromStr>(name: &str, default: &str) -> Result<T, BoxError> {
    env_or(name, default)
        .trim()
        .parse()
        .map_err(|_| format!("{name} is not a number").into())
}

/// Connects with the CA file as extra roots (host name verification stays on) and consumes.
async fn run() -> Result<(), BoxError> {
    let url = env_or("AMQP_URL", "amqps://guest:guest@localhost:5671/%2f");
    let queue = env_or("BENCH_QUEUE", "bench.drain");
    let prefetch: u16 = env_num("BENCH_PREFETCH", "1024")?;
    let bulk: u64 = env_num("BENCH_BULK", "100")?;
    let flush = Duration::from_millis(env_num("BENCH_FLUSH_MS", "20")?);
    let tls = OwnedTLSConfig {
        identity: None,
        cert_chain: std::env::var("BENCH_TLS_CA_FILE")
            .ok()
            .map(std::fs::read_to_string)
            .transpose()?,
    };
    let runtime = lapin::runtime::default_runtime()?;
    let conn = Connection::connect_with_config(&url, ConnectionProperties::default(), tls, runtime)
        .await?;
    let ch = conn.create_channel().await?;
    ch.basic_qos(prefetch, BasicQosOptions::default()).await?;
    let consumer = ch
        .basic_consume(
            queue.as_str().into(),
            "lapin-tls-bench".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    drain(consumer, bulk, flush).await
}

/// The harness consumer's multiple-ack loop: ack the last delivery of each bulk with
/// `multiple`, or of a partial bulk once nothing came for `flush`.
async fn drain(mut consumer: lapin::Consumer, bulk: u64, flush: Duration) -> Result<(), BoxError> {
    let multiple = BasicAckOptions { multiple: true };
    let mut pending: u64 = 0;
    let mut last: Option<Delivery> = None;
    loop {
        let next = if pending > 0 {
            match tokio::time::timeout(flush, consumer.next()).await {
                Ok(next) => next,
                Err(_idle) => {
                    if let Some(d) = last.take() {
                        d.ack(multiple).await?;
                    }
                    pending = 0;
                    continue;
                }
            }
        } else {
            consumer.next().await
        };
        let Some(delivery) = next else { break };
        let delivery = delivery?;
        serde_json::from_slice::<IgnoredAny>(&delivery.data)?;
        pending += 1;
        if pending >= bulk {
            delivery.ack(multiple).await?;
            pending = 0;
            last = None;
        } else {
            last = Some(delivery);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-lapin-tls: {e}");
            ExitCode::FAILURE
        }
    }
}
