//! `app.amqp()`: publishing from handlers and hooks, over publisher connections opened lazily,
//! one per (named connection, vhost).
//!
//! Publishers never share a connection with consumers: when RabbitMQ throttles a publishing
//! connection (flow control, a memory alarm) it blocks the whole connection, and a consumer on
//! it could then no longer ack the messages that would relieve the broker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lapin::BasicProperties;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::error::PublishError;
use super::transport::Publisher;
use crate::amqp::connection::{self, ConnectionManager};
use crate::codec::{Encode, Json};
use crate::settings::Settings;

/// (named connection, vhost); `None` is the default connection / the URL's vhost.
type Key = (Option<Arc<str>>, Option<Arc<str>>);

/// The publisher connections of one worker.
pub(crate) struct Clients {
    /// The worker's settings: URLs, heartbeat and publish timeout.
    settings: Settings,
    entries: Mutex<HashMap<Key, Arc<Entry>>>,
    closed: CancellationToken,
    /// Under the testing harness: every publish goes to the in-memory broker.
    #[cfg(feature = "testing")]
    memory: Option<Arc<crate::amqp::memory::MemoryBroker>>,
}

/// One publisher connection and the channel `app.amqp()` publishes on.
pub(crate) struct Entry {
    /// `None` under the testing harness.
    connection: Option<Arc<ConnectionManager>>,
    user: Publisher,
    /// Publishers of routes' retries on this connection, each on its own channel so that a
    /// user's publish to a missing exchange (which closes its channel) never fails a retry.
    others: Mutex<Vec<Arc<Publisher>>>,
}

impl Clients {
    pub(crate) fn new(settings: &Settings) -> Clients {
        Clients {
            settings: settings.clone(),
            entries: Mutex::new(HashMap::new()),
            closed: CancellationToken::new(),
            #[cfg(feature = "testing")]
            memory: None,
        }
    }

    /// Clients whose publishes all go to the in-memory `broker`; `app.amqp()`'s are recorded
    /// for the test to read.
    #[cfg(feature = "testing")]
    pub(crate) fn in_memory(
        settings: &Settings,
        broker: Arc<crate::amqp::memory::MemoryBroker>,
    ) -> Clients {
        Clients {
            memory: Some(broker),
            ..Clients::new(settings)
        }
    }

    /// A publisher to the in-memory broker, if this is the testing harness.
    fn memory_publisher(&self, record: bool) -> Option<Publisher> {
        #[cfg(feature = "testing")]
        if let Some(broker) = &self.memory {
            let broker = Arc::clone(broker);
            return Some(Publisher::Memory { broker, record });
        }
        let _ = record;
        None
    }

    /// The entry for `key`, created on first use (nothing touches the network until the
    /// first publish).
    pub(crate) fn entry(
        &self,
        connection: Option<&str>,
        vhost: Option<&str>,
    ) -> Result<Arc<Entry>, PublishError> {
        if self.closed.is_cancelled() {
            return Err(PublishError::Closed);
        }
        let key: Key = (connection.map(Arc::from), vhost.map(Arc::from));
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = entries.get(&key) {
            return Ok(Arc::clone(e));
        }
        if let Some(user) = self.memory_publisher(true) {
            let entry = Arc::new(Entry {
                connection: None,
                user,
                others: Mutex::new(Vec::new()),
            });
            entries.insert(key, Arc::clone(&entry));
            return Ok(entry);
        }
        let settings = &self.settings;
        let lookup = |k: &str| std::env::var(k).ok();
        let urls = settings
            .connection_urls(connection, &lookup)
            .map_err(PublishError::Connection)?;
        let label = connection::label("asyncworker publisher", connection, vhost);
        let manager = ConnectionManager::new(&urls, vhost, settings.amqp_heartbeat, label)
            .and_then(|m| m.with_tls(&settings.connection_tls(connection, &lookup)))
            .map_err(PublishError::Connection)?
            .without_recovery();
        let manager = Arc::new(manager);
        let entry = Arc::new(Entry {
            user: Publisher::new(Arc::clone(&manager), self.closed.clone(), self.timeout()),
            connection: Some(manager),
            others: Mutex::new(Vec::new()),
        });
        entries.insert(key, Arc::clone(&entry));
        Ok(entry)
    }

    /// A publisher with its own channel on the connection for (`connection`, `vhost`).
    pub(crate) fn dedicated(
        &self,
        connection: Option<&str>,
        vhost: Option<&str>,
    ) -> Result<Arc<Publisher>, PublishError> {
        let entry = self.entry(connection, vhost)?;
        let publisher = match (&entry.connection, self.memory_publisher(false)) {
            (Some(c), _) => Publisher::new(Arc::clone(c), self.closed.clone(), self.timeout()),
            (None, Some(memory)) => memory,
            (None, None) => unreachable!("an entry without a connection is the harness's"),
        };
        let publisher = Arc::new(publisher);
        entry
            .others
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::clone(&publisher));
        Ok(publisher)
    }

    /// How long a publish may wait for a connection and its confirm.
    fn timeout(&self) -> Duration {
        self.settings.amqp_publish_timeout
    }

    /// Closes every publisher channel and connection; later publishes fail with
    /// [`PublishError::Closed`]. Called once the backends and the shutdown hooks are done.
    pub(crate) async fn close(&self) {
        self.closed.cancel();
        let entries: Vec<Arc<Entry>> = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, e)| e)
            .collect();
        for e in entries {
            e.user.close().await;
            let others: Vec<Arc<Publisher>> = e
                .others
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .drain(..)
                .collect();
            for p in others {
                p.close().await;
            }
            if let Some(c) = &e.connection {
                c.close().await;
            }
        }
    }
}

/// Publishes to RabbitMQ from handlers and hooks; get one with [`App::amqp`](crate::App::amqp).
///
/// Every publish is persistent and waits for the broker's publisher confirm: `Ok(())` means
/// the broker has the message. Publishes from many tasks share one channel and pipeline.
/// During a reconnect a publish waits (up to `ASYNCWORKER_AMQP_PUBLISH_TIMEOUT`, 30 s by
/// default) and publishes again on the new connection, so a message may arrive twice but is
/// never dropped without an error.
///
/// ```no_run
/// use asyncworker::prelude::*;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize, Serialize)]
/// struct Order { id: u64, total: u64 }
///
/// #[route(amqp = ["orders"])]
/// async fn forward(app: App, order: Message<Order>) -> Result<(), asyncworker::amqp::PublishError> {
///     // to the default exchange, routed to the queue "invoices"
///     app.amqp().publish("", "invoices", order.body()).await?;
///     // to another vhost of the same broker (one extra connection, opened on first use)
///     app.amqp().vhost("audit").publish("", "orders", order.body()).await
/// }
/// # fn main() {}
/// ```
#[derive(Clone)]
pub struct Amqp {
    clients: Arc<Clients>,
    connection: Option<Arc<str>>,
    vhost: Option<Arc<str>>,
    mandatory: bool,
}

impl std::fmt::Debug for Amqp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Amqp")
            .field(
                "connection",
                &self.connection.as_deref().unwrap_or("default"),
            )
            .field("vhost", &self.vhost)
            .field("mandatory", &self.mandatory)
            .finish()
    }
}

impl crate::app::Resource for Clients {
    fn close(&self) -> crate::future::BoxFuture<'_, ()> {
        Box::pin(Clients::close(self))
    }
}

/// The AMQP backend's methods on the application handle. They live here, not in `app.rs`, so
/// that the core knows no backend: without the `amqp` feature, `App` has no `amqp()`.
impl crate::app::App {
    /// Publishing to RabbitMQ: `app.amqp().publish(exchange, routing_key, &body)`; see
    /// [`Amqp`].
    pub fn amqp(&self) -> Amqp {
        Amqp::new(self.amqp_clients())
    }

    /// The worker's publisher connections, created on first use.
    pub(crate) fn amqp_clients(&self) -> Arc<Clients> {
        self.resource(Clients::new)
    }
}

impl Amqp {
    pub(crate) fn new(clients: Arc<Clients>) -> Amqp {
        Amqp {
            clients,
            connection: None,
            vhost: None,
            mandatory: false,
        }
    }

    /// Publishes to another vhost of the same broker, with the same credentials. Its
    /// connection is opened on the first publish and then shared by every publish to it.
    pub fn vhost(&self, vhost: &str) -> Amqp {
        Amqp {
            vhost: Some(Arc::from(vhost)),
            ..self.clone()
        }
    }

    /// Publishes over a named connection, for apps that talk to several brokers: its URLs come
    /// from `ASYNCWORKER_AMQP_<NAME>_URL` or [`Settings::amqp_connections`].
    pub fn connection(&self, name: &str) -> Amqp {
        Amqp {
            connection: Some(Arc::from(name)),
            ..self.clone()
        }
    }

    /// Publishes with the `mandatory` flag: a message that matches no queue is returned by
    /// the broker and the publish fails with [`PublishError::Unroutable`] (without it, such a
    /// message is silently dropped by the broker).
    ///
    /// Mandatory publishes pipeline like ordinary ones, in waves on up to 8 channels of their
    /// own: a publish's result is known once every publish of its wave is confirmed, and a
    /// message the broker returns is always reported to the publish that sent it (matched by
    /// exchange, routing key, properties and body). A publish that times out or is dropped
    /// while its wave is in flight makes the others of that wave that were not returned
    /// publish again (the broker may then hold two copies, never none).
    ///
    /// ```no_run
    /// # async fn demo(app: asyncworker::App) -> Result<(), asyncworker::amqp::PublishError> {
    /// app.amqp().mandatory().publish("", "invoices", &serde_json::json!({"id": 1})).await
    /// # }
    /// ```
    pub fn mandatory(&self) -> Amqp {
        Amqp {
            mandatory: true,
            ..self.clone()
        }
    }

    /// Serializes `body` to JSON and publishes it, persistent, with content type
    /// `application/json`; returns once the broker confirmed it. A body that does not
    /// serialize is an error and nothing is sent.
    pub async fn publish<T: Serialize + ?Sized>(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &T,
    ) -> Result<(), PublishError> {
        let (bytes, properties) = json_message(body)?;
        self.publish_raw(exchange, routing_key, &bytes, properties)
            .await
    }

    /// Encodes `body` with codec `C` and publishes it, persistent, with the codec's content
    /// type; returns once the broker confirmed it. A body that does not encode is an error
    /// and nothing is sent.
    ///
    /// ```no_run
    /// use asyncworker::codec::{Raw, Text};
    /// # async fn demo(app: asyncworker::App) -> Result<(), asyncworker::amqp::PublishError> {
    /// app.amqp().publish_with::<Text, _>("", "lines", "plain text").await?;
    /// app.amqp().publish_with::<Raw, _>("", "blobs", &[0xde_u8, 0xad][..]).await
    /// # }
    /// ```
    pub async fn publish_with<C: Encode<T>, T: ?Sized>(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &T,
    ) -> Result<(), PublishError> {
        let (bytes, properties) = encoded_message::<C, T>(body)?;
        self.publish_raw(exchange, routing_key, &bytes, properties)
            .await
    }

    /// Publishes `body` as it is, with the given properties (set `delivery_mode` 2 for a
    /// persistent message); returns once the broker confirmed it.
    ///
    /// ```no_run
    /// use asyncworker::amqp::{AMQPValue, BasicProperties, FieldTable};
    /// # async fn demo(app: asyncworker::App) -> Result<(), asyncworker::amqp::PublishError> {
    /// let mut headers = FieldTable::default();
    /// headers.insert("source".into(), AMQPValue::LongString("billing".into()));
    /// let props = BasicProperties::default()
    ///     .with_content_type("text/csv".into())
    ///     .with_delivery_mode(2)
    ///     .with_headers(headers);
    /// app.amqp().publish_raw("reports", "daily", b"id,total\n1,20\n", props).await
    /// # }
    /// ```
    pub async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        let entry = self
            .clients
            .entry(self.connection.as_deref(), self.vhost.as_deref())?;
        // The current span's context travels with the message (W3C `traceparent`).
        #[cfg(feature = "otel")]
        let properties = crate::otel::inject_amqp(properties);
        entry
            .user
            .publish(exchange, routing_key, body, properties, self.mandatory)
            .await
    }
}

/// `body` as JSON, with the properties of a JSON message: persistent, `application/json`.
pub(crate) fn json_message<T: Serialize + ?Sized>(
    body: &T,
) -> Result<(Vec<u8>, BasicProperties), PublishError> {
    encoded_message::<Json, T>(body)
}

/// `body` encoded by `C`, with the properties of such a message: persistent, the codec's
/// content type.
pub(crate) fn encoded_message<C: Encode<T>, T: ?Sized>(
    body: &T,
) -> Result<(Vec<u8>, BasicProperties), PublishError> {
    let bytes = C::encode(body).map_err(|e| PublishError::Serialize(e.to_string()))?;
    let properties = BasicProperties::default()
        .with_content_type(C::CONTENT_TYPE.into())
        .with_delivery_mode(2);
    Ok((bytes, properties))
}
