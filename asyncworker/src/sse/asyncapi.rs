//! The SSE part of the AsyncAPI document (`--asyncapi`): a server per stream host (`http` or
//! `https`), a channel per stream (its path) and a receive operation per route and stream,
//! with its bulk options as `x-asyncworker-*` extensions.

use serde_json::json;

use super::backend::Prepared;
use crate::docs::asyncapi::{AsyncApi, MessageDoc, set_servers};

/// Writes the routes' servers, channels and operations into `doc`.
pub(crate) fn describe(routes: &[Prepared], doc: &mut AsyncApi) {
    for route in routes {
        let r = &route.resolved;
        let def = r.def;
        let message = MessageDoc {
            id: def.name,
            payload: (def.message)(),
            content_type: route.factory.0.content_type,
            doc: def.doc,
        };
        for url in &r.urls {
            let host = match url.port_or_known_default() {
                Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                None => url.host_str().unwrap_or_default().to_owned(),
            };
            let server = doc.server(
                "sse",
                json!({
                    "host": host,
                    "protocol": url.scheme(),
                    "description": "Server-Sent Events source",
                }),
            );
            let mut channel = json!({
                "address": url.path(),
                "title": format!("event stream {}", url.path()),
            });
            set_servers(&mut channel, &[server]);
            let id = format!("sse-{host}{}", url.path());
            doc.channel(&id, channel);
            let extras = json!({
                "x-asyncworker-bulk-size": r.bulk.bulk_size,
                "x-asyncworker-bulk-flush": format!("{}ms", r.bulk.bulk_flush_ms),
                "x-asyncworker-concurrency": r.bulk.concurrency,
            });
            doc.receive(&id, &message, extras);
        }
    }
}
