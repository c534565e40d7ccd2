//! A private SQS emulator for a test (moto's server from PyPI, on a free loopback port,
//! killed on drop), a client of it, and a TCP proxy in front of it that a test can cut to
//! make the emulator unreachable without losing its state (moto keeps queues in memory: a
//! restarted moto would have none).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A moto server of this test's own.
pub struct Moto {
    child: Child,
    pub port: u16,
    pub client: Client,
}

impl Moto {
    /// Starts `python3 -m moto.server` and waits (30 s at most) until it answers.
    pub async fn start() -> Moto {
        let port = crate::rabbit_node::free_ports(1)[0];
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start moto's server: {e}; pip install 'moto[server]' (.ci/run does)")
            });
        let moto = Moto {
            child,
            port,
            client: client_of(&format!("http://127.0.0.1:{port}")),
        };
        let start = Instant::now();
        while moto.client.list_queues().send().await.is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "moto did not answer on port {port} within 30 s (is `moto[server]` installed?)"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        moto
    }

    /// The environment a worker needs to use it (or `endpoint`, a proxy in front of it).
    pub fn env(&self, endpoint: Option<&str>) -> Vec<(String, String)> {
        let url = endpoint.map_or_else(|| self.url(), str::to_owned);
        [
            ("AWS_ENDPOINT_URL", url.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            // Never ask an instance metadata service (not on loopback) for anything.
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates `name` (FIFO if it ends in `.fifo`) with `attributes`: its URL.
    pub async fn create_queue(
        &self,
        name: &str,
        attributes: &[(QueueAttributeName, &str)],
    ) -> String {
        let mut req = self.client.create_queue().queue_name(name);
        if name.ends_with(".fifo") {
            req = req.attributes(QueueAttributeName::FifoQueue, "true");
        }
        for (k, v) in attributes {
            req = req.attributes(k.clone(), *v);
        }
        let out = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
        out.queue_url.expect("a queue URL")
    }

    /// Sends `bodies` to `url`, ten per call; `group` for FIFO queues (ids from the index).
    pub async fn send(&self, url: &str, bodies: &[String], group: Option<&str>) {
        for (n, chunk) in bodies.chunks(10).enumerate() {
            let entries = chunk.iter().enumerate().map(|(i, body)| {
                let id = n * 10 + i;
                SendMessageBatchRequestEntry::builder()
                    .id(id.to_string())
                    .message_body(body)
                    .set_message_group_id(group.map(str::to_owned))
                    .set_message_deduplication_id(group.map(|g| format!("{g}-{body}")))
                    .build()
                    .expect("entry")
            });
            let out = self
                .client
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries.collect()))
                .send()
                .await
                .expect("send batch");
            assert!(out.failed.is_empty(), "sends failed: {:?}", out.failed);
        }
    }

    /// Sends `bodies` to `url` ten at a time, each time once fewer than `backlog` wait:
    /// moto's every call costs in proportion to the queue's length, so a test that streams
    /// thousands of messages keeps the queue short (bounded: 5 minutes in all).
    pub async fn feed(&self, url: &str, bodies: &[String], backlog: u64) {
        let start = Instant::now();
        for chunk in bodies.chunks(10) {
            while self.counts(url).await.0 >= backlog {
                assert!(
                    start.elapsed() < Duration::from_secs(300),
                    "the queue is not drained"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            self.send(url, chunk, None).await;
        }
    }

    /// `ApproximateNumberOfMessages` and `...NotVisible` of `url`.
    pub async fn counts(&self, url: &str) -> (u64, u64) {
        let out = self
            .client
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .expect("queue attributes");
        let a: HashMap<QueueAttributeName, String> = out.attributes.unwrap_or_default();
        let n = |k: QueueAttributeName| a.get(&k).and_then(|v| v.parse().ok()).unwrap_or(0);
        (
            n(QueueAttributeName::ApproximateNumberOfMessages),
            n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        )
    }

    /// Receives (and deletes) everything visible in `url` now: the bodies.
    pub async fn take_all(&self, url: &str) -> Vec<aws_sdk_sqs::types::Message> {
        let mut all = Vec::new();
        loop {
            let out = self
                .client
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .message_attribute_names("All")
                .send()
                .await
                .expect("receive");
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                return all;
            }
            for m in &messages {
                let handle = m.receipt_handle.clone().expect("handle");
                self.client
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete");
            }
            all.extend(messages);
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An SDK client of the emulator at `url`, with dummy credentials.
pub fn client_of(url: &str) -> Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(url)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    Client::from_conf(config)
}

/// A TCP proxy on a loopback port of its own, to `target`; [`cut`](Proxy::cut) closes every
/// connection and the port (connections are refused), [`restore`](Proxy::restore) opens the
/// same port again.
pub struct Proxy {
    pub port: u16,
    target: SocketAddr,
    open: Mutex<Option<CancellationToken>>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Arc<Proxy> {
        let port = crate::rabbit_node::free_ports(1)[0];
        let proxy = Arc::new(Proxy {
            port,
            target,
            open: Mutex::new(None),
        });
        proxy.restore().await;
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Closes the port and every connection through it.
    pub fn cut(&self) {
        if let Some(open) = self.open.lock().unwrap().take() {
            open.cancel();
        }
    }

    /// Listens again on the same port.
    pub async fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .unwrap_or_else(|e| panic!("proxy port {}: {e}", self.port));
        let open = CancellationToken::new();
        *self.open.lock().unwrap() = Some(open.clone());
        tokio::spawn(accept(listener, self.target, open));
    }
}

async fn accept(listener: TcpListener, target: SocketAddr, open: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = open.cancelled() => return,
            a = listener.accept() => a,
        };
        let Ok((mut inbound, _)) = accepted else {
            continue;
        };
        let open = open.clone();
        tokio::spawn(async move {
            let Ok(mut outbound) = TcpStream::connect(target).await else {
                return;
            };
            tokio::select! {
                () = open.cancelled() => {}
                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
            }
        });
    }
}
