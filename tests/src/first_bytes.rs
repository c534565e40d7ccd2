//! A loopback TCP proxy that records the first bytes each client sends before passing the
//! connection on: proof of what went over the wire first (a TLS ClientHello, never `AMQP`).

use std::sync::{Arc, Mutex};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// The proxy's port and what it saw; it runs until the test's runtime ends.
pub struct FirstBytes {
    pub port: u16,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl FirstBytes {
    /// Listens on a free loopback port and forwards every connection to `127.0.0.1:target`.
    pub async fn start(target: u16) -> FirstBytes {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(forward(client, target, Arc::clone(&record)));
            }
        });
        FirstBytes { port, seen }
    }

    /// The first bytes (up to 8) of every connection so far, in order.
    pub fn seen(&self) -> Vec<Vec<u8>> {
        self.seen.lock().unwrap().clone()
    }
}

async fn forward(mut client: TcpStream, target: u16, record: Arc<Mutex<Vec<Vec<u8>>>>) {
    let mut first = [0u8; 8];
    let Ok(n) = client.read(&mut first).await else {
        return;
    };
    record.lock().unwrap().push(first[..n].to_vec());
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", target)).await else {
        return;
    };
    if tokio::io::AsyncWriteExt::write_all(&mut upstream, &first[..n])
        .await
        .is_ok()
    {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}
