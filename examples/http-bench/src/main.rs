//! The hello-world GET of `../shared/bench/http-bench.sh`, served by asyncworker with every
//! layer on (metrics, body limit, timeouts, panic catching, connection cap, built-ins), for
//! `scripts/bench-http.sh`.
//!
//! `BENCH_HTTP_ADDR` (default `127.0.0.1:8085`) sets the address, like the baseline servers.
//!
//! ```sh
//! cargo build --release -p http-bench
//! BENCH_HTTP_ADDR=127.0.0.1:8085 ./target/release/http-bench
//! curl http://127.0.0.1:8085/    # Hello, World!
//! ```

use std::process::ExitCode;

use asyncworker::prelude::*;
use asyncworker::{MainOptions, Settings};

#[route(http = ["/"])]
async fn hello() -> &'static str {
    "Hello, World!"
}

fn main() -> ExitCode {
    let mut options = MainOptions::DEFAULT;
    options.log = Some("warn");
    let mut settings = match Settings::from_env(&options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = std::env::var("BENCH_HTTP_ADDR").unwrap_or_else(|_| "127.0.0.1:8085".into());
    let Some((host, port)) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h, p.parse().ok()?)))
    else {
        eprintln!("error: BENCH_HTTP_ADDR must be host:port, got {addr:?}");
        return ExitCode::FAILURE;
    };
    settings.http_host = host.to_owned();
    settings.http_port = port;
    asyncworker::run_with(settings)
}
