//! The baseline of the SQS drain benchmark, and its filler.
//!
//! - `sqs-bench-plain fill <n> <q1,q2,...>`: creates the queues and sends `n` JSON messages
//!   spread over them, ten per call.
//! - `sqs-bench-plain drain <n> <q1,q2,...>`: a plain loop per queue over the same SDK and
//!   HTTP client as the worker (receive ten with a 1 s long poll, delete them in one batch),
//!   all queues at once, until `n` are deleted; prints `RESULT ...` as the worker does.
//!
//! The emulator comes from the standard AWS environment (`AWS_ENDPOINT_URL`, `AWS_REGION`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(n), Some(queues)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!("usage: sqs-bench-plain fill|drain <n> <q1,q2,...>");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("n");
    let queues: Vec<String> = queues.split(',').map(str::to_owned).collect();
    let client = client().await;
    match mode.as_str() {
        "fill" => fill(&client, n, &queues).await,
        "drain" => drain(&client, n, &queues).await,
        other => panic!("unknown mode {other}"),
    }
}

async fn client() -> Client {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await;
    Client::new(&config)
}

async fn url(client: &Client, queue: &str) -> String {
    let out = client
        .create_queue()
        .queue_name(queue)
        .send()
        .await
        .expect("create queue");
    out.queue_url.expect("url")
}

async fn fill(client: &Client, n: u64, queues: &[String]) {
    let per_queue = n.div_ceil(queues.len() as u64);
    let mut sent = 0;
    for q in queues {
        let url = url(client, q).await;
        let mut left = per_queue.min(n - sent);
        while left > 0 {
            let k = left.min(10);
            let entries = (0..k).map(|i| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(format!(r#"{{"id":{},"tag":"bench"}}"#, sent + i))
                    .build()
                    .expect("entry")
            });
            let out = client
                .send_message_batch()
                .queue_url(&url)
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .expect("send");
            assert!(out.failed.is_empty(), "{:?}", out.failed);
            sent += k;
            left -= k;
        }
    }
}

async fn drain(client: &Client, n: u64, queues: &[String]) {
    let start = Instant::now();
    let deleted = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for q in queues {
        let (client, deleted, url) = (client.clone(), Arc::clone(&deleted), url(client, q).await);
        tasks.push(tokio::spawn(async move {
            while deleted.load(Ordering::Relaxed) < n {
                let out = client
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(10)
                    .wait_time_seconds(1)
                    .send()
                    .await
                    .expect("receive");
                let messages = out.messages.unwrap_or_default();
                if messages.is_empty() {
                    continue;
                }
                let entries = messages.iter().enumerate().map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle.clone().expect("handle"))
                        .build()
                        .expect("entry")
                });
                client
                    .delete_message_batch()
                    .queue_url(&url)
                    .set_entries(Some(entries.collect()))
                    .send()
                    .await
                    .expect("delete");
                deleted.fetch_add(messages.len() as u64, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let seconds = start.elapsed().as_secs_f64();
    let n = deleted.load(Ordering::Relaxed);
    println!(
        "RESULT handled={n} seconds={seconds:.2} msgs_per_s={:.0}",
        n as f64 / seconds
    );
}
