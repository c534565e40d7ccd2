//! How the node binaries (`tls-node`, `rabbit-cluster`) keep their nodes for a script: until
//! the script closes their stdin (or dies, which closes it) or signals them.

use std::io::Read;

use tokio::signal::unix::{SignalKind, signal};

/// Returns when stdin reaches its end or SIGTERM/SIGINT arrives.
pub fn hold() {
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
