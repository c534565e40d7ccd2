//! One lazily (re)built lapin connection per broker and vhost.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use lapin::tcp::OwnedTLSConfig;
use lapin::uri::AMQPUri;
use lapin::{Connection, ConnectionProperties};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::rotation::Rotation;
use super::tls;
use crate::backoff::Backoff;
use crate::observe::health::Reason;
use crate::settings::ConnectionTls;

/// Hands out the current connection, reconnecting (with backoff, over every URL in turn)
/// when there is none or lapin's own recovery gave up on it.
pub(crate) struct ConnectionManager {
    uris: Vec<AMQPUri>,
    /// Which URL the next attempt goes to: a random one first (workers given one cluster's
    /// list spread over its nodes), then always the one after the last used.
    rotation: Rotation,
    label: String,
    /// The TLS files of `amqps://` URLs, read once (lapin ignores them for `amqp://`); every
    /// attempt and every recovery of lapin's uses them alike.
    tls: OwnedTLSConfig,
    /// lapin's transparent recovery, for consumers on a single URL; publishers rebuild on their
    /// own so that a publish never lands in a half-recovered channel. With several URLs it is
    /// off (see [`ConnectionManager::new`]).
    auto_recover: bool,
    current: Mutex<Option<Arc<Connection>>>,
    /// When [`get`](Self::get) first found the current connection not connected (lapin
    /// recovering it), so that a recovery that never ends is given up on.
    down_since: std::sync::Mutex<Option<tokio::time::Instant>>,
    /// The last attempt's error while connecting fails (readiness shows it), `None` once
    /// connected.
    failing: Reason,
}

/// How long lapin may try to recover a connection before a new one is built: lapin's recovery
/// makes two quick TCP attempts (see [`ConnectionManager::get`]) and, when those fail, stays
/// "reconnecting" for good (seen with `rabbitmqctl stop_app`); a healthy recovery takes about
/// 2.5 s (`close_all_connections`). Only single-URL connections wait for it: with a list,
/// lapin's recovery is off and a lost connection moves to the next URL at once.
pub(crate) const RECOVERY_LIMIT: Duration = Duration::from_secs(5);

/// The largest frame we offer the broker when the URL does not say (`?frame_max=`):
/// RabbitMQ's own default, said explicitly. lapin keeps two ring buffers of 32 frames per
/// connection. Given no frame size, it starts them small and, once the broker's is known,
/// grows them by writing zeros: 8 MiB resident from the start, idle or not. Given one, it
/// allocates them at that size at once and only pages that traffic reaches become resident.
/// Not smaller: the broker passes a message's header frame on whole whatever its size, and
/// lapin closes the connection on a frame over the size it negotiated, so a message with
/// headers over the limit would come back after every reconnection.
pub(crate) const DEFAULT_FRAME_MAX: u32 = 128 * 1024;

impl ConnectionManager {
    /// `urls` are tried in turn from a random one; `vhost` (if set) replaces the URL's vhost.
    ///
    /// With several URLs (a cluster), lapin's recovery is off: it only ever retries the URL it
    /// lost, so on a dead node it would hold the worker for [`RECOVERY_LIMIT`] before our loop
    /// moved on. Without it a lost connection is an error at once and the next connection goes
    /// to the next URL; consumers re-attach as after any other loss.
    pub(crate) fn new(
        urls: &[String],
        vhost: Option<&str>,
        heartbeat: u16,
        label: String,
    ) -> Result<Self, String> {
        let mut uris = Vec::with_capacity(urls.len());
        for url in urls {
            let mut uri = AMQPUri::from_str(url)
                .map_err(|e| format!("invalid AMQP URL {}: {e}", redact(url)))?;
            tls::check_scheme(&uri, url)?;
            if let Some(v) = vhost {
                uri.vhost = v.to_owned();
            }
            if uri.query.heartbeat.is_none() {
                uri.query.heartbeat = Some(heartbeat);
            }
            if uri.query.frame_max.is_none() {
                uri.query.frame_max = Some(DEFAULT_FRAME_MAX);
            }
            uris.push(uri);
        }
        Ok(ConnectionManager {
            rotation: Rotation::random(uris.len()),
            auto_recover: uris.len() == 1,
            uris,
            label,
            tls: OwnedTLSConfig::default(),
            current: Mutex::new(None),
            down_since: std::sync::Mutex::new(None),
            failing: Reason::default(),
        })
    }

    /// The same, with the TLS files of the connection (see [`tls::config`] for the errors).
    pub(crate) fn with_tls(mut self, files: &ConnectionTls) -> Result<Self, String> {
        self.tls = tls::config(files)?;
        Ok(self)
    }

    /// The same, without lapin's transparent recovery (for publishers).
    pub(crate) fn without_recovery(mut self) -> Self {
        self.auto_recover = false;
        self
    }

    /// The URLs the connection is opened to, in order.
    pub(crate) fn uris(&self) -> &[AMQPUri] {
        &self.uris
    }

    /// The vhost the connection opens (its URLs agree on it, or the route's `vhost` replaced
    /// theirs).
    pub(crate) fn vhost(&self) -> &str {
        self.uris.first().map_or("/", |u| u.vhost.as_str())
    }

    /// The connection's name as the broker shows it.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// Why connecting fails right now, for readiness (see [`Health::register_reason`]).
    ///
    /// [`Health::register_reason`]: crate::observe::health::Health::register_reason
    pub(crate) fn failing(&self) -> Reason {
        Arc::clone(&self.failing)
    }

    /// The live connection, connecting first if needed; `None` once `stop` is cancelled.
    pub(crate) async fn get(&self, stop: &CancellationToken) -> Option<Arc<Connection>> {
        // Held while connecting: a burst of callers after an outage builds one connection.
        let mut current = self.current.lock().await;
        if let Some(conn) = current.as_ref() {
            if self.usable(conn) {
                return Some(Arc::clone(conn));
            }
            tracing::warn!(connection = %self.label, "connection lost for good; building a new one");
            *current = None;
        }
        let conn = self.connect(stop).await?;
        *current = Some(Arc::clone(&conn));
        Some(conn)
    }

    /// Whether `conn` is up, or down for less than [`RECOVERY_LIMIT`] while lapin recovers it.
    fn usable(&self, conn: &Connection) -> bool {
        let status = conn.status();
        let mut down_since = self.down_since.lock().unwrap_or_else(|p| p.into_inner());
        let stuck = if status.connected() {
            *down_since = None;
            false
        } else {
            down_since
                .get_or_insert_with(tokio::time::Instant::now)
                .elapsed()
                > RECOVERY_LIMIT
        };
        let usable = !(stuck || status.closed() || status.errored() || status.closing());
        if !usable {
            *down_since = None;
        }
        usable
    }

    /// A new connection, trying every URL in turn (see [`Rotation`]) with a backoff between
    /// attempts, until one answers; `None` once `stop` is cancelled.
    async fn connect(&self, stop: &CancellationToken) -> Option<Arc<Connection>> {
        let mut attempt: u32 = 0;
        loop {
            let uri = self.next_uri();
            attempt += 1;
            let connect = self.open(uri, self.properties());
            let result = tokio::select! {
                biased;
                () = stop.cancelled() => return None,
                r = connect => r,
            };
            let (host, port) = (&uri.authority.host, uri.authority.port);
            match result {
                Ok(conn) => {
                    self.set_failing(None);
                    tracing::info!(connection = %self.label, %host, port, vhost = %uri.vhost, attempt, "connected to the broker");
                    return Some(Arc::new(conn));
                }
                Err(error) => {
                    let delay = Backoff::RECONNECT.delay(attempt);
                    self.set_failing(Some(format!("{host}:{port}: {error}")));
                    tracing::warn!(connection = %self.label, %host, port, attempt, retry_in = ?delay, %error, "cannot connect to the broker");
                    tokio::select! {
                        biased;
                        () = stop.cancelled() => return None,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    /// The URL of the next attempt (see [`Rotation`]).
    fn next_uri(&self) -> &AMQPUri {
        &self.uris[self.rotation.take()]
    }

    fn set_failing(&self, reason: Option<String>) {
        *self.failing.lock().unwrap_or_else(|p| p.into_inner()) = reason;
    }

    /// One connection attempt to `uri`, over TLS for `amqps://` (a failed handshake is an
    /// error naming its reason, such as an unknown issuer or a name mismatch).
    async fn open(&self, uri: &AMQPUri, props: ConnectionProperties) -> lapin::Result<Connection> {
        let runtime = lapin::runtime::default_runtime()?;
        Connection::connect_uri_with_config(uri.clone(), props, self.tls.clone(), runtime).await
    }

    /// The properties of every connection this manager builds.
    fn properties(&self) -> ConnectionProperties {
        let mut props = ConnectionProperties::default();
        if self.auto_recover {
            props = props.enable_auto_recover();
        }
        // lapin's own TCP retries are kept short: past a blip, our loop takes over, so every
        // attempt is logged with its count and the next URL of the list gets its turn
        // (lapin's default, 16 tries up to 60 s apart, hides a dead broker for minutes).
        props
            .configure_backoff(|b| {
                b.with_min_delay(Duration::from_millis(100))
                    .with_max_delay(Duration::from_secs(1))
                    .with_max_times(2)
            })
            .with_connection_name(self.label.clone().into())
    }

    /// Forgets `conn` if it is still the current connection, so that the next [`get`](Self::get)
    /// builds a new one (for a connection lapin's recovery is stuck on).
    pub(crate) fn discard(&self, conn: &Connection) {
        if let Ok(mut current) = self.current.try_lock()
            && current
                .as_ref()
                .is_some_and(|c| std::ptr::eq(Arc::as_ptr(c), conn))
        {
            tracing::warn!(connection = %self.label, "giving up on the connection; building a new one");
            *current = None;
            *self.down_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }

    /// One connection attempt per URL, in order, without auto-recovery (for `--check`); the
    /// error lists every URL's failure.
    pub(crate) async fn connect_once(&self) -> Result<Connection, String> {
        let mut errors = Vec::new();
        for uri in &self.uris {
            let props = ConnectionProperties::default()
                .with_connection_name(format!("{} (check)", self.label).into());
            match self.open(uri, props).await {
                Ok(c) => return Ok(c),
                Err(e) => errors.push(format!(
                    "{}:{} vhost {:?}: {e}",
                    uri.authority.host, uri.authority.port, uri.vhost
                )),
            }
        }
        Err(format!(
            "cannot connect to the broker: {}",
            errors.join("; ")
        ))
    }

    /// Closes the connection, which makes the broker requeue anything still unacked.
    pub(crate) async fn close(&self) {
        if let Some(conn) = self.current.lock().await.take()
            && conn.status().connected()
            && let Err(error) = conn.close(200, "worker shutting down".into()).await
        {
            tracing::debug!(connection = %self.label, %error, "error while closing the connection");
        }
    }
}

/// The name a connection shows in the broker's management UI and in logs:
/// `<prefix> <named connection or "default">[ vhost=<vhost>]`.
pub(crate) fn label(prefix: &str, connection: Option<&str>, vhost: Option<&str>) -> String {
    let vhost = vhost.map(|v| format!(" vhost={v}")).unwrap_or_default();
    format!("{prefix} {}{vhost}", connection.unwrap_or("default"))
}

/// The URL without its password, for logs and errors.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(
            redact("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(redact("amqp://127.0.0.1"), "amqp://127.0.0.1");
    }

    #[test]
    fn vhost_and_heartbeat_applied() {
        let m = ConnectionManager::new(
            &["amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()],
            Some("fluentd"),
            10,
            "t".into(),
        )
        .unwrap();
        assert_eq!(m.uris[0].vhost, "fluentd");
        assert_eq!(m.uris[0].query.heartbeat, Some(10));
        assert_eq!(m.uris[0].query.frame_max, Some(DEFAULT_FRAME_MAX));
        assert!(ConnectionManager::new(&["nope://".to_owned()], None, 10, "t".into()).is_err());
    }

    #[test]
    fn a_frame_max_in_the_url_wins_over_the_default() {
        let url = "amqp://guest:guest@127.0.0.1:5672/%2f?frame_max=32768&heartbeat=5";
        let m = ConnectionManager::new(&[url.to_owned()], None, 10, "t".into()).unwrap();
        assert_eq!(m.uris[0].query.frame_max, Some(32_768));
        assert_eq!(m.uris[0].query.heartbeat, Some(5));
    }

    fn url(port: u16) -> String {
        format!("amqp://guest:guest@127.0.0.1:{port}/%2f")
    }

    #[test]
    fn attempts_go_round_the_list_past_the_last_url_used() {
        let mut m =
            ConnectionManager::new(&[url(1), url(2), url(3)], None, 10, "t".into()).unwrap();
        m.rotation = Rotation::starting_at(3, 1);
        // Connected to port 2; once it is lost, 3 is tried first, then 1 (3 refused), then 2.
        let ports: Vec<u16> = (0..4).map(|_| m.next_uri().authority.port).collect();
        assert_eq!(ports, [2, 3, 1, 2]);
    }

    #[test]
    fn lapin_recovers_a_single_url_only() {
        let one = ConnectionManager::new(&[url(5672)], None, 10, "t".into()).unwrap();
        assert!(one.auto_recover);
        // A cluster: a lost node is left at once for the next URL, not retried by lapin.
        let three = ConnectionManager::new(&[url(1), url(2), url(3)], None, 10, "t".into());
        assert!(!three.unwrap().auto_recover);
    }
}
