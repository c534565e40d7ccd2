//! A worker with a user tracing layer beside our logs, for `tracing_layers`: a job that fails
//! every 50 ms (our `scheduled run failed` error event). With `AW_LAYER=on`, `layers` adds a
//! layer that counts error events and prints `LAYER ERRORS <n>` on stderr at each one; without
//! it, no layer. Needs no broker.

use std::sync::atomic::{AtomicU64, Ordering};

use asyncworker::prelude::*;
use asyncworker::runtime::TracingLayer;
use tracing_subscriber::Layer;

#[route(every = "50ms")]
async fn fails() -> Result<(), String> {
    Err("boom".to_owned())
}

/// Counts the error events it sees.
struct ErrorCounter(AtomicU64);

impl<S: tracing::Subscriber> Layer<S> for ErrorCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() == tracing::Level::ERROR {
            let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
            eprintln!("LAYER ERRORS {n}");
        }
    }
}

fn layers() -> Vec<TracingLayer> {
    match std::env::var("AW_LAYER").as_deref() {
        Ok("on") => vec![ErrorCounter(AtomicU64::new(0)).boxed()],
        _ => Vec::new(),
    }
}

asyncworker::main!(tracing_layers = layers, log_format = "json");
