//! A scripted SSE server over loopback for the SSE tests: raw HTTP/1.1 on a `TcpListener`, so
//! that it can misbehave (wrong statuses, stalls, endless events) in ways a framework would not;
//! over TLS too (`tls.rs`: certificates made by the test run).

#![allow(dead_code)]

pub mod tls;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use asyncworker::{App, Settings};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Req {
    pub at: Instant,
    pub path: String,
    pub last_event_id: Option<String>,
    pub authorization: Option<String>,
    /// 0 for the first request of the server, 1 for the second, ...
    pub index: usize,
}

/// What happens after the scripted bytes.
pub enum End {
    /// Close the connection.
    Close,
    /// Keep it open and silent forever (a stalled server).
    Hang,
    /// Write `fill` forever (64 KiB at a time) until the client goes away or `limit` bytes
    /// were written: an event that never ends.
    Endless { fill: u8, limit: u64 },
}

pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub end: End,
}

impl Reply {
    /// A 200 `text/event-stream` with `body`, then `end`.
    pub fn stream(body: impl Into<Vec<u8>>, end: End) -> Reply {
        Reply {
            status: 200,
            content_type: "text/event-stream",
            body: body.into(),
            end,
        }
    }

    /// Any status with a short body, then close.
    pub fn status(status: u16, content_type: &'static str) -> Reply {
        Reply {
            status,
            content_type,
            body: b"nope".to_vec(),
            end: End::Close,
        }
    }
}

type Script = dyn Fn(&Req) -> Reply + Send + Sync;

pub struct Server {
    pub addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Req>>>,
    /// Bytes of `End::Endless` written.
    pub endless_sent: Arc<AtomicU64>,
    /// An `End::Endless` write failed: the client went away.
    pub endless_dropped: Arc<AtomicBool>,
    /// Whether it speaks TLS (`https://`).
    tls: bool,
    /// TLS handshakes that failed (the client refused the certificate, say).
    pub handshake_failures: Arc<AtomicU64>,
}

impl Server {
    /// Starts a server answering every request with `script`.
    pub async fn start(script: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_on("127.0.0.1:0", script).await
    }

    /// Starts a server on `addr` (e.g. a port that was refusing connections until now).
    pub async fn start_on(
        addr: &str,
        script: impl Fn(&Req) -> Reply + Send + Sync + 'static,
    ) -> Server {
        Server::listen(addr, None, Arc::new(script)).await
    }

    /// Starts an `https://` server (on loopback) that does its TLS handshakes with `acceptor`.
    pub async fn start_tls(
        acceptor: TlsAcceptor,
        script: impl Fn(&Req) -> Reply + Send + Sync + 'static,
    ) -> Server {
        Server::listen("127.0.0.1:0", Some(acceptor), Arc::new(script)).await
    }

    async fn listen(addr: &str, tls: Option<TlsAcceptor>, script: Arc<Script>) -> Server {
        let listener = TcpListener::bind(addr).await.expect("bind");
        let server = Server {
            addr: listener.local_addr().expect("addr"),
            requests: Arc::new(Mutex::new(Vec::new())),
            endless_sent: Arc::new(AtomicU64::new(0)),
            endless_dropped: Arc::new(AtomicBool::new(false)),
            tls: tls.is_some(),
            handshake_failures: Arc::new(AtomicU64::new(0)),
        };
        let shared = Shared {
            requests: Arc::clone(&server.requests),
            sent: Arc::clone(&server.endless_sent),
            dropped: Arc::clone(&server.endless_dropped),
            script,
        };
        let failures = Arc::clone(&server.handshake_failures);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (shared, tls, failures) = (shared.clone(), tls.clone(), Arc::clone(&failures));
                tokio::spawn(async move {
                    match tls {
                        None => serve(socket, shared).await,
                        Some(acceptor) => match acceptor.accept(socket).await {
                            Ok(stream) => serve(stream, shared).await,
                            Err(_) => {
                                failures.fetch_add(1, Ordering::SeqCst);
                            }
                        },
                    }
                });
            }
        });
        server
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }
}

/// What every connection of a server shares.
#[derive(Clone)]
struct Shared {
    requests: Arc<Mutex<Vec<Req>>>,
    /// Bytes of `End::Endless` written.
    sent: Arc<AtomicU64>,
    /// An `End::Endless` write failed.
    dropped: Arc<AtomicBool>,
    script: Arc<Script>,
}

async fn serve(mut socket: impl AsyncRead + AsyncWrite + Unpin, shared: Shared) {
    let Shared {
        requests,
        sent,
        dropped,
        script,
    } = shared;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_owned();
    let header = |name: &str| {
        text.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let req = {
        let mut all = requests.lock().unwrap();
        let req = Req {
            at: Instant::now(),
            path,
            last_event_id: header("last-event-id"),
            authorization: header("authorization"),
            index: all.len(),
        };
        all.push(req.clone());
        req
    };
    let reply = script(&req);
    let reason = match reply.status {
        200 => "OK",
        204 => "No Content",
        404 => "Not Found",
        503 => "Service Unavailable",
        _ => "Whatever",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: {}\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n",
        reply.status, reply.content_type
    );
    if socket.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    if reply.status != 204 && socket.write_all(&reply.body).await.is_err() {
        return;
    }
    let _ = socket.flush().await;
    match reply.end {
        End::Close => {}
        End::Hang => std::future::pending::<()>().await,
        End::Endless { fill, limit } => {
            let block = vec![fill; 64 * 1024];
            while sent.load(Ordering::SeqCst) < limit {
                if socket.write_all(&block).await.is_err() {
                    dropped.store(true, Ordering::SeqCst);
                    return;
                }
                sent.fetch_add(block.len() as u64, Ordering::SeqCst);
            }
        }
    }
}

/// `id: <id>` and `data: {"id": <id>}` events for each of `ids`.
pub fn events(ids: impl IntoIterator<Item = u64>) -> String {
    ids.into_iter()
        .map(|id| format!("id: {id}\ndata: {{\"id\": {id}}}\n\n"))
        .collect()
}

/// Test settings pointing every SSE route without a `url` at `server`.
pub fn sse_settings(server: &Server) -> Settings {
    let mut s = asyncworker_tests::settings("sse-");
    s.sse_url = Some(server.url());
    s.shutdown_timeout = Duration::from_secs(10);
    s
}

/// Keeps the worker's `App` (handed to a startup hook) for readiness and metrics checks.
pub fn keep(slot: &OnceLock<App>, app: &App) {
    let _ = slot.set(app.clone());
}

/// The value of a metric line starting with `prefix` (labels included), 0 when absent.
pub fn metric(app: &App, prefix: &str) -> f64 {
    app.metrics()
        .encode()
        .lines()
        .find_map(|l| l.strip_prefix(prefix)?.trim().parse().ok())
        .unwrap_or(0.0)
}
