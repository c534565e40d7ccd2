//! The SQS part of the AsyncAPI document (`--asyncapi`): one server (the endpoint the
//! standard AWS environment names, else the region's), a channel per queue and a receive
//! operation per route and queue, with its options as `x-asyncworker-*` extensions.

use serde_json::{Value, json};

use super::backend::Prepared;
use crate::docs::asyncapi::{AsyncApi, MessageDoc, set_servers};

/// Writes the routes' server, channels and operations into `doc`.
pub(crate) fn describe(routes: &[Prepared], doc: &mut AsyncApi) {
    let server = doc.server("sqs", server());
    for route in routes {
        let r = &route.resolved;
        let def = r.def;
        let message = MessageDoc {
            id: def.name,
            payload: (def.message)(),
            content_type: route.factory.0.content_type,
            doc: def.doc,
        };
        for queue in &r.queues {
            let mut channel = json!({
                "address": queue,
                "title": format!("SQS queue {queue}"),
                "x-asyncworker-fifo": super::client::is_fifo(queue),
            });
            set_servers(&mut channel, std::slice::from_ref(&server));
            let id = format!("sqs-{queue}");
            doc.channel(&id, channel);
            doc.receive(&id, &message, extras(r));
        }
    }
}

/// The endpoint of `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL`, else SQS in `AWS_REGION`.
fn server() -> Value {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let endpoint = env("AWS_ENDPOINT_URL_SQS").or_else(|| env("AWS_ENDPOINT_URL"));
    let (protocol, host) = match endpoint.as_deref().and_then(|e| e.split_once("://")) {
        Some((scheme, rest)) => (scheme.to_owned(), rest.trim_end_matches('/').to_owned()),
        None => {
            let region = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION"));
            let region = region.as_deref().unwrap_or("{region}");
            ("https".to_owned(), format!("sqs.{region}.amazonaws.com"))
        }
    };
    json!({ "host": host, "protocol": protocol, "description": "Amazon SQS" })
}

fn extras(r: &super::resolve::Resolved) -> Value {
    let o = &r.options;
    let mut extras = json!({
        "x-asyncworker-bulk-size": r.bulk.bulk_size,
        "x-asyncworker-bulk-flush": format!("{}ms", r.bulk.bulk_flush_ms),
        "x-asyncworker-concurrency": r.bulk.concurrency,
        "x-asyncworker-on-success": o.on_success.to_string(),
        "x-asyncworker-on-exception": o.on_exception.to_string(),
        "x-asyncworker-on-decode-error": o.on_decode_error.to_string(),
        "x-asyncworker-wait-time": format!("{}s", o.wait_time_s),
        "x-asyncworker-visibility-timeout": format!("{}s", o.visibility_timeout_s),
    });
    if let Some(ms) = r.bulk.timeout_ms {
        extras["x-asyncworker-timeout"] = format!("{ms}ms").into();
    }
    if o.retries > 0 {
        extras["x-asyncworker-retries"] = o.retries.into();
    }
    if let Some(d) = o.dead_letter {
        extras["x-asyncworker-dead-letter"] = d.into();
    }
    extras
}
