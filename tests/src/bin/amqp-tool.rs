//! A small broker tool for the README and manual runs:
//!
//! ```sh
//! amqp-tool declare QUEUE...          # durable queues
//! amqp-tool publish QUEUE JSON...     # persistent, confirmed
//! amqp-tool fill QUEUE N              # N bodies {"id": i, "amount_cents": i}
//! ```
//!
//! Connects to `ASYNCWORKER_AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672/%2f`).

use std::process::ExitCode;

use asyncworker_tests::Broker;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let broker = Broker::connect().await;
    match args.first().map(String::as_str) {
        Some("declare") if args.len() > 1 => {
            for q in &args[1..] {
                broker.declare_keep(q).await;
                println!("declared {q}");
            }
        }
        Some("publish") if args.len() > 2 => {
            let bodies = args[2..].iter().map(|b| b.clone().into_bytes());
            broker.publish_raw(&args[1], bodies).await;
            println!("published {} message(s) to {}", args.len() - 2, args[1]);
        }
        Some("fill") if args.len() == 3 => {
            let Ok(n) = args[2].parse::<u64>() else {
                eprintln!("N must be a number");
                return ExitCode::from(2);
            };
            let bodies =
                (0..n).map(|i| format!("{{\"id\":{i},\"amount_cents\":{i}}}").into_bytes());
            broker.publish_raw(&args[1], bodies).await;
            println!("published {n} message(s) to {}", args[1]);
        }
        _ => {
            eprintln!("usage: amqp-tool declare QUEUE... | publish QUEUE JSON... | fill QUEUE N");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
