//! The prefill and the timer of `scripts/bench-cluster.sh`, for a QUORUM queue (the shared
//! harness `../shared/bench` only makes classic queues, and its in-broker watcher reads queue
//! metrics that quorum queues refresh only every few seconds):
//!
//! - `bench-quorum fill`: re-creates `BENCH_QUEUE` on `AMQP_URL` as a durable quorum queue and
//!   fills it with `BENCH_N` persistent ~`BENCH_SIZE`-byte JSON messages (the harness's
//!   bodies), every one confirmed (`BENCH_WINDOW` in flight), then checks the count;
//! - `bench-quorum drain --label L -- CMD ARGS...`: spawns CMD and times it until the queue
//!   holds nothing, ready or unacked (see `drain.rs`); prints one `RESULT` line.
//!
//! ```sh
//! export AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f BENCH_QUEUE=aw.bench.quorum BENCH_N=200000
//! target/release/bench-quorum fill
//! BENCH_PREFETCH=1024 BENCH_BULK=100 target/release/bench-quorum drain --label aw-bulk100 -- \
//!     target/release/bench-consumer
//! ```
//!
//! More env: `RABBITMQCTL` (of a node of the queue's cluster), `BENCH_TIMEOUT_S` (default 300),
//! `BENCH_CONSUMER_LOG` (CMD's output, default /tmp/bench-quorum-consumer.log), `BENCH_VHOST`
//! (default `/`). Exit 1 on a failed run, 2 on bad usage.

use std::process::ExitCode;

mod drain;
mod fill;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A numeric setting; a bad value is an error naming the variable and the value.
fn env_num<T: std::str::FromStr>(name: &str, default: &str) -> Result<T, BoxError> {
    let value = env_or(name, default);
    value
        .trim()
        .parse()
        .map_err(|_| format!("{name}={value:?} is not a number").into())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["fill"] => runtime.block_on(fill::run()).map(|()| true),
        ["drain", "--label", label, "--", cmd @ ..] if !cmd.is_empty() => {
            let cmd: Vec<String> = cmd.iter().map(|s| (*s).to_owned()).collect();
            runtime.block_on(drain::run(label, &cmd))
        }
        _ => {
            eprintln!("usage: bench-quorum fill | bench-quorum drain --label L -- CMD ARGS...");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench-quorum: {e}");
            ExitCode::FAILURE
        }
    }
}
