//! Starts the private TLS RabbitMQ node of the tests for a script (the TLS drain benchmark):
//! fresh certificates in a temp directory, then shell-sourceable lines on stdout, then holds
//! the node until stdin closes or SIGTERM/SIGINT arrives, and stops it.
//!
//! ```sh
//! mkfifo in; cargo run -p asyncworker-tests --bin tls-node < in > node.env & exec 9> in
//! # wait for the line `TLS_NODE_READY=1` in node.env, then: . node.env
//! exec 9>&-   # closing stdin stops the node
//! ```

use std::io::Read;

use asyncworker_tests::tls_broker::TlsBroker;
use tokio::signal::unix::{SignalKind, signal};

fn main() {
    // Blocking: boots the node (panics, exit 101, if it cannot).
    let broker = TlsBroker::start();
    let ctl = broker.ctl_script();
    // Single-quoted values: every path comes from the temp dir, none holds a quote.
    println!("TLS_NODE='{}'", broker.node);
    println!("TLS_NODE_AMQP_URL='{}'", broker.amqp_url());
    // `localhost`: the server certificate's only name, and host names are always verified.
    println!("TLS_NODE_AMQPS_URL='{}'", broker.amqps_url("localhost", ""));
    println!("TLS_NODE_CA_FILE='{}'", broker.pki.ca.display());
    println!("TLS_NODE_RABBITMQCTL='{}'", ctl.display());
    // Last, so a reader that sees it has every line above.
    println!("TLS_NODE_READY=1");
    hold();
    eprintln!("tls-node: stopping {}", broker.node);
    drop(broker);
}

/// Returns when stdin reaches its end or SIGTERM/SIGINT arrives.
fn hold() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // A plain thread reads stdin (tokio's stdin is also a blocking thread underneath).
    let (tx, eof) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        // Anything written is ignored; only the end of input counts.
        while !matches!(std::io::stdin().read(&mut buf), Ok(0) | Err(_)) {}
        let _ = tx.send(());
    });
    rt.block_on(async {
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        tokio::select! {
            _ = eof => {}
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    });
}
