//! Raw amqprs consumer for `scripts/bench-latency.sh`: prefetch `BENCH_PREFETCH` (256), one
//! awaited ack per message, each delivery's latency recorded before its ack. Env: `AMQP_URL`
//! (`amqp://user:pass@host:port/vhost`), `BENCH_QUEUE`, `BENCH_LABEL`.

use amqprs::channel::{BasicAckArguments, BasicConsumeArguments, BasicQosArguments};
use amqprs::connection::{Connection, OpenConnectionArguments};
use latency_bench::{Recorder, Stamp, env_or};

/// `amqp://user:pass@host:port/vhost`, with the vhost percent-decoded (`%2f` is `/`).
fn arguments(url: &str) -> OpenConnectionArguments {
    let rest = url.strip_prefix("amqp://").expect("an amqp:// URL");
    let (authority, vhost) = rest.split_once('/').unwrap_or((rest, ""));
    let (credentials, address) = authority
        .rsplit_once('@')
        .unwrap_or(("guest:guest", authority));
    let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
    let (host, port) = address.rsplit_once(':').unwrap_or((address, "5672"));
    let vhost = match vhost {
        "" | "%2f" | "%2F" => "/",
        other => other,
    };
    let mut arguments =
        OpenConnectionArguments::new(host, port.parse().expect("a port"), user, password);
    arguments.virtual_host(vhost);
    arguments
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let recorder = Recorder::from_env("amqprs");
    let url = env_or("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f");
    let queue = env_or("BENCH_QUEUE", "aw.bench.latency");
    let prefetch: u16 = env_or("BENCH_PREFETCH", "256").parse()?;

    let connection = Connection::open(&arguments(&url)).await?;
    let channel = connection.open_channel(None).await?;
    channel
        .basic_qos(BasicQosArguments::new(0, prefetch, false))
        .await?;
    let (_tag, mut deliveries) = channel
        .basic_consume_rx(BasicConsumeArguments::new(&queue, "latency-amqprs"))
        .await?;
    while let Some(message) = deliveries.recv().await {
        let Some(deliver) = message.deliver else {
            continue;
        };
        let headers = message.basic_properties.as_ref().and_then(|p| p.headers());
        recorder.record(Stamp::from_amqprs(headers));
        channel
            .basic_ack(BasicAckArguments::new(deliver.delivery_tag(), false))
            .await?;
    }
    Ok(())
}
