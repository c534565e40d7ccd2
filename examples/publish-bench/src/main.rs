//! Publishes N ~200-byte JSON bodies to `BENCH_QUEUE` with `app.amqp().publish` (persistent,
//! each awaiting its publisher confirm), keeping a window of publishes in flight, and prints
//! the rate in the format of `../shared/bench`'s `amqp-bench prefill`, which does the same
//! with raw lapin: `scripts/bench-publish.sh` runs both on the same queue and compares them.
//!
//! ```sh
//! cargo build --release -p publish-bench
//! BENCH_QUEUE=aw.bench.publish target/release/publish-bench --n 200000 --window 4096
//! ```
//!
//! The queue must exist (durable) and should be empty: the script resets it with
//! `amqp-bench prefill --n 0` first. `AMQP_URL` (or `ASYNCWORKER_AMQP_URL`) names the broker.

use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use asyncworker::{App, MainOptions, Settings, Worker};
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;

/// The body `amqp-bench prefill` sends, as a struct: `{"id":..,"kind":"bench","ts":..,
/// "payload":"xxx…"}`, padded to `--size` bytes.
#[derive(Serialize)]
struct Body<'a> {
    id: u64,
    kind: &'static str,
    ts: i64,
    payload: &'a str,
}

struct Options {
    n: u64,
    size: usize,
    window: usize,
    queue: String,
}

fn usage() -> ! {
    eprintln!(
        "usage: publish-bench [--n N] [--size BYTES] [--window W]\n\
         env: BENCH_QUEUE (default bench.drain), AMQP_URL or ASYNCWORKER_AMQP_URL"
    );
    std::process::exit(2)
}

fn parse() -> Options {
    let mut o = Options {
        n: 200_000,
        size: 200,
        window: 4096,
        queue: std::env::var("BENCH_QUEUE").unwrap_or_else(|_| "bench.drain".into()),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args
            .get(i + 1)
            .map(String::as_str)
            .unwrap_or_else(|| usage());
        match args[i].as_str() {
            "--n" => o.n = value.parse().unwrap_or_else(|_| usage()),
            "--size" => o.size = value.parse().unwrap_or_else(|_| usage()),
            "--window" => o.window = value.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
        i += 2;
    }
    o.window = o.window.max(1);
    o
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Padding that brings the JSON of id `0` to `size` bytes (ids have a few digits more or
/// less; `amqp-bench` pads the same way).
fn padding(size: usize) -> String {
    let probe = serde_json::to_vec(&Body {
        id: 0,
        kind: "bench",
        ts: now_us(),
        payload: "",
    });
    let used = probe.map(|v| v.len()).unwrap_or(0);
    "x".repeat(size.saturating_sub(used))
}

async fn run(app: App, o: Options) -> Result<f64, String> {
    // BENCH_MANDATORY=1 measures `mandatory` publishes (in waves, on channels of their own).
    let amqp = if std::env::var("BENCH_MANDATORY").is_ok_and(|v| v == "1") {
        app.amqp().mandatory()
    } else {
        app.amqp()
    };
    // Opens the publisher connection and channel before the clock starts, as amqp-bench
    // connects before its clock: a message to a routing key without a queue is confirmed and
    // dropped by the broker.
    app.amqp()
        .publish("", "publish-bench.warm-up.nowhere", &0u8)
        .await
        .map_err(|e| format!("warm-up publish failed: {e}"))?;
    let pad = padding(o.size);
    let start = Instant::now();
    let mut inflight = FuturesUnordered::new();
    let mut failed = 0u64;
    let mut first_error = None;
    for id in 0..o.n {
        let (amqp, queue, pad) = (&amqp, o.queue.as_str(), pad.as_str());
        inflight.push(async move {
            let body = Body {
                id,
                kind: "bench",
                ts: now_us(),
                payload: pad,
            };
            amqp.publish("", queue, &body).await
        });
        if inflight.len() >= o.window
            && let Some(Err(e)) = inflight.next().await
        {
            failed += 1;
            first_error.get_or_insert(e);
        }
    }
    while let Some(r) = inflight.next().await {
        if let Err(e) = r {
            failed += 1;
            first_error.get_or_insert(e);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    match first_error {
        Some(e) => Err(format!("{failed} of {} publishes failed, first: {e}", o.n)),
        None => Ok(secs),
    }
}

fn main() -> ExitCode {
    let o = parse();
    let mut options = MainOptions::DEFAULT;
    options.log = Some("warn");
    let mut settings = match Settings::from_env(&options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(url) = std::env::var("AMQP_URL") {
        settings.amqp_urls = vec![url];
    }
    let app = Worker::new(settings).app();
    let runtime = match std::env::var("BENCH_RUNTIME").as_deref() {
        Ok("current") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (n, size, window) = (o.n, o.size, o.window);
    match runtime.block_on(run(app, o)) {
        Ok(secs) => {
            println!(
                "published n={n} size={size} window={window} in {secs:.3}s ({:.0} msg/s)",
                n as f64 / secs.max(1e-9)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
