//! The AMQP part of the AsyncAPI document (`--asyncapi`): a server per broker URL (host, port
//! and vhost; never the credentials), a channel per queue the routes consume, retry through or
//! park messages in (the queues of `--topology`), a channel per exchange binding, and a
//! receive operation per route and queue, with the route's bulk and delivery options as
//! `x-asyncworker-*` extensions.

use lapin::uri::{AMQPScheme, AMQPUri};
use serde_json::{Value, json};

use super::backend::Prepared;
use super::topology::Topology;
use crate::docs::asyncapi::{AsyncApi, MessageDoc, set_servers, with_version};

/// Writes the routes' servers, channels and operations into `doc`.
pub(crate) fn describe(routes: &[Prepared], doc: &mut AsyncApi) {
    for route in routes {
        let servers: Vec<String> = route
            .connection
            .uris()
            .iter()
            .map(|uri| doc.server("amqp", server(uri, route.resolved.def.options.connection)))
            .collect();
        let vhost = route.connection.vhost();
        let def = route.resolved.def;
        let message = MessageDoc {
            id: def.name,
            payload: (def.message)(),
            content_type: route.factory.0.content_type,
            doc: def.doc,
        };
        for (queue, topology) in route.queues.iter().zip(&route.topologies) {
            channels(doc, topology, vhost, &servers);
            doc.receive(&queue_id(queue), &message, receive_extras(route));
        }
    }
}

/// The servers `app.amqp()` publishes to (the worker's AMQP URLs), added to `doc`, and their
/// vhost; `None` when the settings have no valid URL.
pub(crate) fn publishing_servers(
    urls: &[String],
    doc: &mut AsyncApi,
) -> Option<(Vec<String>, String)> {
    let uris: Vec<AMQPUri> = urls.iter().filter_map(|u| u.parse().ok()).collect();
    let vhost = uris.first()?.vhost.clone();
    let ids = uris
        .iter()
        .map(|uri| doc.server("amqp", server(uri, None)))
        .collect();
    Some((ids, vhost))
}

/// A Server Object for `uri`: `host:port`, the protocol, the vhost as the path; no
/// credentials.
fn server(uri: &AMQPUri, connection: Option<&str>) -> Value {
    let protocol = match uri.scheme {
        AMQPScheme::AMQP => "amqp",
        AMQPScheme::AMQPS => "amqps",
    };
    let vhost = uri.vhost.replace('%', "%25").replace('/', "%2f");
    let mut server = json!({
        "host": format!("{}:{}", uri.authority.host, uri.authority.port),
        "protocol": protocol,
        "pathname": format!("/{vhost}"),
        "description": format!("RabbitMQ, vhost `{}`", uri.vhost),
    });
    if let Some(name) = connection {
        server["title"] = format!("connection {name}").into();
    }
    server
}

/// The id of the channel of queue `name`.
fn queue_id(name: &str) -> String {
    format!("queue-{name}")
}

/// A channel per queue of `t` and per exchange binding of its main queue.
fn channels(doc: &mut AsyncApi, t: &Topology, vhost: &str, servers: &[String]) {
    for q in &t.queues {
        let mut channel = json!({
            "address": q.name,
            "title": format!("{} {}", q.role, q.name),
            "bindings": { "amqp": with_version(json!({
                "is": "queue",
                "queue": {
                    "name": q.name,
                    "durable": true,
                    "exclusive": false,
                    "autoDelete": false,
                    "vhost": vhost,
                },
            })) },
        });
        set_servers(&mut channel, servers);
        doc.channel(&queue_id(&q.name), channel);
    }
    let queue = &t.queues[0].name;
    let kind = |name: &str| t.exchanges.iter().find(|e| e.name == name).map(|e| e.kind);
    for b in &t.bindings {
        let mut exchange = json!({
            "name": b.exchange,
            "durable": true,
            "autoDelete": false,
            "vhost": vhost,
        });
        if let Some(kind) = kind(&b.exchange) {
            exchange["type"] = kind.into();
        }
        let mut channel = json!({
            "address": b.key,
            "title": format!("exchange {}, routing key {}", b.exchange, b.key),
            "description": format!("Bound to queue `{queue}`."),
            "bindings": { "amqp": with_version(json!({ "is": "routingKey", "exchange": exchange })) },
        });
        set_servers(&mut channel, servers);
        doc.channel(
            &format!("exchange-{}-{}-{queue}", b.exchange, b.key),
            channel,
        );
    }
}

/// The AMQP operation binding and the route's options as extensions.
fn receive_extras(route: &Prepared) -> Value {
    let r = &route.resolved;
    let o = &r.options;
    let mut extras = json!({
        "bindings": { "amqp": with_version(json!({ "ack": true })) },
        "x-asyncworker-bulk-size": r.bulk.bulk_size,
        "x-asyncworker-bulk-flush": format!("{}ms", r.bulk.bulk_flush_ms),
        "x-asyncworker-prefetch": r.prefetch,
        "x-asyncworker-concurrency": r.bulk.concurrency,
        "x-asyncworker-on-success": o.on_success.to_string(),
        "x-asyncworker-on-exception": o.on_exception.to_string(),
        "x-asyncworker-on-decode-error": o.on_decode_error.to_string(),
        "x-asyncworker-declare": o.declare,
    });
    if let Some(ms) = r.bulk.timeout_ms {
        extras["x-asyncworker-timeout"] = format!("{ms}ms").into();
    }
    if o.retries > 0 {
        extras["x-asyncworker-retries"] = o.retries.into();
        extras["x-asyncworker-retry-delay"] = r.retry_delays().into();
    }
    if let Some(d) = &r.dead_letter {
        extras["x-asyncworker-dead-letter"] = d.as_str().into();
    }
    if r.guarded() {
        extras["x-asyncworker-max-redeliveries"] = r.max_redeliveries.into();
    }
    extras
}
