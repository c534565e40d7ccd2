//! The fixed-rate publisher of `scripts/bench-latency.sh`.
//!
//! ```sh
//! latency-publish --reset                              # delete and declare BENCH_QUEUE, exit
//! latency-publish --rate 1000 --seconds 20 --warmup 2  # wait for a consumer, then publish
//! ```
//!
//! Publishes `rate × (warmup + seconds)` persistent bodies of `--size` bytes (200) to the
//! default exchange, each at its own instant of a fixed schedule (message `i` at
//! `start + i / rate`, paced by the thread's own sleep rather than a millisecond timer wheel,
//! so 5,000 msg/s is one every 200 µs, not bursts of five). Each is stamped with the instant
//! of its `basic.publish` ([`latency_bench::SENT`]); publisher confirms are on and counted
//! off the pacing thread. Prints `PUBLISHED n=... lag_p99_us=... lag_max_us=... nacked=...
//! cpu_s=...`: how late the publisher itself ran (a late publisher marks the run).

use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use lapin::{Confirmation, PublisherConfirm};
use latency_bench::{LAST, SENT, WARMUP, env_or, now_ns};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

struct Options {
    reset: bool,
    rate: u64,
    seconds: u64,
    warmup: u64,
    size: usize,
    queue: String,
}

fn usage() -> ! {
    eprintln!(
        "usage: latency-publish --reset | [--rate N] [--seconds S] [--warmup S] [--size BYTES]\n\
         env: AMQP_URL, BENCH_QUEUE (default aw.bench.latency)"
    );
    std::process::exit(2)
}

fn parse() -> Options {
    let mut o = Options {
        reset: false,
        rate: 1000,
        seconds: 20,
        warmup: 2,
        size: 200,
        queue: env_or("BENCH_QUEUE", "aw.bench.latency"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--reset" {
            o.reset = true;
            continue;
        }
        let value = args.next().unwrap_or_else(|| usage());
        let number = || value.parse::<u64>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--rate" => o.rate = number().max(1),
            "--seconds" => o.seconds = number(),
            "--warmup" => o.warmup = number(),
            "--size" => o.size = usize::try_from(number()).unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    o
}

/// Deletes and declares the queue (durable, classic): every run starts from an empty one.
async fn reset(channel: &Channel, queue: &str) -> lapin::Result<()> {
    channel
        .queue_delete(queue.into(), Default::default())
        .await?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .queue_declare(queue.into(), durable, FieldTable::default())
        .await?;
    Ok(())
}

/// Waits (30 s at most) until the consumer under test is attached to the queue.
async fn wait_for_consumer(channel: &Channel, queue: &str) -> Result<(), String> {
    let passive = QueueDeclareOptions {
        passive: true,
        ..Default::default()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let declared = channel
            .queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .map_err(|e| format!("queue {queue}: {e}"))?;
        if declared.consumer_count() > 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("no consumer attached to {queue} within 30 s"))
}

/// Awaits every confirm, in publish order; returns how many the broker nacked.
async fn count_nacks(mut confirms: mpsc::UnboundedReceiver<PublisherConfirm>) -> u64 {
    let mut nacked = 0;
    while let Some(confirm) = confirms.recv().await {
        if !matches!(confirm.await, Ok(Confirmation::Ack(_))) {
            nacked += 1;
        }
    }
    nacked
}

/// The headers of message `i` of `total`, `warmup` of them first.
fn headers(i: u64, total: u64, warmup: u64) -> FieldTable {
    let mut headers = FieldTable::default();
    headers.insert(SENT.into(), AMQPValue::LongLongInt(now_ns()));
    if i < warmup {
        headers.insert(WARMUP.into(), AMQPValue::Boolean(true));
    }
    if i + 1 == total {
        headers.insert(LAST.into(), AMQPValue::Boolean(true));
    }
    headers
}

/// This process's user + system CPU seconds (`/proc/self/stat`, at Linux's 100 ticks/s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0 // utime and stime: fields 14 and 15 of the line
}

fn publish(rt: &Runtime, channel: &Channel, o: &Options) -> Result<(), String> {
    let total = o.rate * (o.warmup + o.seconds);
    let warmup = o.rate * o.warmup;
    let mut body = format!(
        "{{\"kind\":\"latency\",\"payload\":\"{}",
        "x".repeat(o.size)
    );
    body.truncate(o.size.saturating_sub(2).max(24));
    body.push_str("\"}");
    let (tx, rx) = mpsc::unbounded_channel();
    let nacks = rt.spawn(count_nacks(rx));
    let mut lag = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("bounds");
    let start = Instant::now();
    for i in 0..total {
        let due = start + Duration::from_nanos(i * 1_000_000_000 / o.rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        lag.saturating_record(u64::try_from(due.elapsed().as_nanos()).unwrap_or(u64::MAX));
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_headers(headers(i, total, warmup));
        let confirm = rt
            .block_on(channel.basic_publish(
                "".into(),
                o.queue.as_str().into(),
                BasicPublishOptions::default(),
                body.as_bytes(),
                properties,
            ))
            .map_err(|e| format!("publish {i}: {e}"))?;
        tx.send(confirm)
            .map_err(|_| "the confirm counter stopped")?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    drop(tx);
    let nacked = rt.block_on(nacks).map_err(|e| e.to_string())?;
    println!(
        "PUBLISHED n={total} rate={} actual_rate={:.0} lag_p99_us={:.1} lag_max_us={:.1} \
         nacked={nacked} cpu_s={:.2}",
        o.rate,
        total as f64 / elapsed,
        lag.value_at_quantile(0.99) as f64 / 1000.0,
        lag.max() as f64 / 1000.0,
        cpu_seconds(),
    );
    if nacked > 0 {
        return Err(format!("the broker nacked {nacked} publishes"));
    }
    Ok(())
}

fn run(o: &Options) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let url = env_or("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f");
    let (_connection, channel) = rt
        .block_on(async {
            let connection = Connection::connect(&url, ConnectionProperties::default()).await?;
            let channel = connection.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            Ok::<_, lapin::Error>((connection, channel))
        })
        .map_err(|e| format!("connect to {url}: {e}"))?;
    if o.reset {
        return rt
            .block_on(reset(&channel, &o.queue))
            .map_err(|e| format!("reset {}: {e}", o.queue));
    }
    rt.block_on(wait_for_consumer(&channel, &o.queue))?;
    publish(&rt, &channel, o)
}

fn main() -> ExitCode {
    match run(&parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("latency-publish: {e}");
            ExitCode::FAILURE
        }
    }
}
