//! The AsyncAPI 3.0 document of a worker (`--asyncapi`), put together from what each backend
//! contributes: AMQP its servers, queue and exchange channels and receive operations, SSE its
//! streams, and the core the send operations of `publishes` (a route of any backend may
//! publish). The backends write their parts through this builder; it knows no backend.

use serde_json::{Map, Value, json};

use super::ids::{free_id, safe_id};
use super::publish::{Publish, PublishesDef};
use super::{Components, Prose, TypeSchema};

/// The version of the AsyncAPI AMQP bindings the documents use.
pub(crate) const AMQP_BINDING_VERSION: &str = "0.3.0";

/// A document being written.
pub(crate) struct AsyncApi {
    components: Components,
    servers: Map<String, Value>,
    channels: Map<String, Value>,
    operations: Map<String, Value>,
    messages: Map<String, Value>,
}

/// A message as a route receives or publishes it: its body's type and content type, and the
/// route's doc comment.
pub(crate) struct MessageDoc<'a> {
    /// The route's name (receive) or the route's and the target's (send): the ids of the
    /// operation and the message start with it.
    pub(crate) id: &'a str,
    pub(crate) payload: TypeSchema,
    pub(crate) content_type: Option<&'a str>,
    pub(crate) doc: &'a str,
}

impl AsyncApi {
    pub(crate) fn new() -> AsyncApi {
        AsyncApi {
            components: Components::new(),
            servers: Map::new(),
            channels: Map::new(),
            operations: Map::new(),
            messages: Map::new(),
        }
    }

    /// The id of `server` (a Server Object), added under `prefix`, `prefix-2`... unless an
    /// equal one is there already.
    pub(crate) fn server(&mut self, prefix: &str, server: Value) -> String {
        if let Some((id, _)) = self.servers.iter().find(|(_, s)| **s == server) {
            return id.clone();
        }
        let id = free_id(&self.servers, prefix);
        self.servers.insert(id.clone(), server);
        id
    }

    /// Adds channel `id` (a Channel Object without `messages`), or keeps the one there; the
    /// channel's messages are added by [`receive`](Self::receive) and [`send`](Self::send).
    pub(crate) fn channel(&mut self, id: &str, channel: Value) {
        let id = safe_id(id);
        self.channels.entry(id).or_insert(channel);
    }

    /// A receive operation of `message`'s route on channel `channel` (added before), with
    /// `extra` fields (bindings, extensions).
    pub(crate) fn receive(&mut self, channel: &str, message: &MessageDoc<'_>, extra: Value) {
        self.operation("receive", channel, message, extra);
    }

    /// The operation `action` of `message`'s route on `channel` (added before).
    fn operation(&mut self, action: &str, channel: &str, message: &MessageDoc<'_>, extra: Value) {
        let channel = safe_id(channel);
        let message_id = self.message(message);
        if let Some(Value::Object(c)) = self.channels.get_mut(&channel) {
            let messages = c.entry("messages").or_insert_with(|| json!({}));
            messages[&message_id] =
                json!({ "$ref": format!("#/components/messages/{message_id}") });
        }
        let prose = Prose::of(message.doc);
        let mut op = json!({
            "action": action,
            "channel": { "$ref": format!("#/channels/{channel}") },
            "messages": [{ "$ref": format!("#/channels/{channel}/messages/{message_id}") }],
        });
        if let Some(summary) = prose.summary_line() {
            op["summary"] = summary.into();
        }
        if let Some(description) = prose.description {
            op["description"] = description.into();
        }
        if let (Value::Object(op), Value::Object(extra)) = (&mut op, extra) {
            op.extend(extra);
        }
        let id = free_id(
            &self.operations,
            &safe_id(&format!("{action}_{}", message.id)),
        );
        self.operations.insert(id, op);
    }

    /// The id of `message` under `#/components/messages`, added once per route and payload.
    fn message(&mut self, m: &MessageDoc<'_>) -> String {
        let payload = self.components.schema(&m.payload);
        let mut message = json!({ "payload": payload });
        if !m.payload.type_name().is_empty() {
            message["name"] = m.payload.type_name().into();
        }
        if let Some(content_type) = m.content_type {
            message["contentType"] = content_type.into();
        }
        if let Some(summary) = Prose::of(m.doc).summary_line() {
            message["summary"] = summary.into();
        }
        if let Some((id, _)) = self.messages.iter().find(|(_, v)| **v == message) {
            return id.clone();
        }
        let id = free_id(&self.messages, &safe_id(m.id));
        self.messages.insert(id.clone(), message);
        id
    }

    /// The send operations of every route that declares `publishes`, on a channel per
    /// (exchange, routing key), served by `servers` (ids from [`server`](Self::server); empty:
    /// every server).
    pub(crate) fn publishes(
        &mut self,
        defs: &[&'static PublishesDef],
        vhost: Option<&str>,
        servers: &[String],
    ) {
        for def in defs {
            for p in def.publishes {
                let channel = publish_channel(p, vhost, servers);
                let target = format!("{}_{}", p.exchange, p.routing_key);
                let id = format!("publish_{target}");
                self.channel(&id, channel);
                let message = MessageDoc {
                    id: &format!("{}_to_{target}", def.name),
                    payload: p.message.map_or_else(TypeSchema::unnamed, |m| m()),
                    content_type: Some("application/json"),
                    doc: def.doc,
                };
                self.operation("send", &id, &message, json!({}));
            }
        }
    }

    /// The document: `asyncapi: 3.0.0`, `info`, and everything added.
    pub(crate) fn finish(self, title: &str, version: &str) -> Value {
        let mut doc = json!({
            "asyncapi": "3.0.0",
            "info": {
                "title": title,
                "version": version,
                "description": "Generated by asyncworker from the routes of this worker.",
            },
            "defaultContentType": "application/json",
        });
        let schemas = self.components.into_schemas();
        let parts = [
            ("servers", self.servers),
            ("channels", self.channels),
            ("operations", self.operations),
        ];
        for (key, map) in parts {
            if !map.is_empty() {
                doc[key] = Value::Object(map);
            }
        }
        doc["components"] = json!({ "messages": self.messages, "schemas": schemas });
        doc
    }
}

/// The channel `app.amqp().publish(exchange, routing_key, ..)` sends to: the exchange, with
/// the routing key as the address (the default exchange routes it to the queue of that name).
fn publish_channel(p: &Publish, vhost: Option<&str>, servers: &[String]) -> Value {
    let mut exchange = json!({ "name": p.exchange, "durable": true, "autoDelete": false });
    if let Some(v) = vhost {
        exchange["vhost"] = v.into();
    }
    let amqp = if p.exchange.is_empty() {
        let mut queue = json!({ "name": p.routing_key });
        if let Some(v) = vhost {
            queue["vhost"] = v.into();
        }
        json!({ "is": "queue", "queue": queue })
    } else {
        json!({ "is": "routingKey", "exchange": exchange })
    };
    let mut channel = json!({
        "address": p.routing_key,
        "title": if p.exchange.is_empty() {
            format!("queue {} (default exchange)", p.routing_key)
        } else {
            format!("exchange {}, routing key {}", p.exchange, p.routing_key)
        },
        "bindings": { "amqp": with_version(amqp) },
    });
    set_servers(&mut channel, servers);
    channel
}

/// `value` with the AMQP bindings' `bindingVersion`.
pub(crate) fn with_version(mut value: Value) -> Value {
    value["bindingVersion"] = AMQP_BINDING_VERSION.into();
    value
}

/// A channel's `servers`: references to `ids` (none: every server of the document).
pub(crate) fn set_servers(channel: &mut Value, ids: &[String]) {
    if !ids.is_empty() {
        let refs: Vec<Value> = ids
            .iter()
            .map(|id| json!({ "$ref": format!("#/servers/{id}") }))
            .collect();
        channel["servers"] = refs.into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_safe_and_unique() {
        assert_eq!(safe_id("orders.retry.1s"), "orders_retry_1s");
        let mut doc = AsyncApi::new();
        let a = doc.server("amqp", json!({ "host": "a:5672" }));
        let b = doc.server("amqp", json!({ "host": "b:5672" }));
        assert_eq!((a.as_str(), b.as_str()), ("amqp", "amqp-2"));
        assert_eq!(doc.server("amqp", json!({ "host": "a:5672" })), "amqp");
    }

    #[test]
    fn an_operation_points_at_its_channel_message() {
        let mut doc = AsyncApi::new();
        doc.channel("orders", json!({ "address": "orders" }));
        let message = MessageDoc {
            id: "drain",
            payload: TypeSchema::free_form::<u8>(),
            content_type: Some("application/json"),
            doc: "Drains orders.\n\nIn bulk.",
        };
        doc.receive("orders", &message, json!({ "x-asyncworker-bulk-size": 10 }));
        let doc = doc.finish("app", "1.0.0");
        let op = &doc["operations"]["receive_drain"];
        assert_eq!(op["summary"], "Drains orders.");
        assert_eq!(op["description"], "In bulk.");
        assert_eq!(op["x-asyncworker-bulk-size"], 10);
        assert_eq!(
            op["messages"][0]["$ref"],
            "#/channels/orders/messages/drain"
        );
        assert_eq!(
            doc["channels"]["orders"]["messages"]["drain"]["$ref"],
            "#/components/messages/drain"
        );
        assert_eq!(
            doc["components"]["messages"]["drain"]["contentType"],
            "application/json"
        );
    }
}
