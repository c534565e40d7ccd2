//! `--topology`: what the AMQP routes declare, as a RabbitMQ definitions document that
//! `rabbitmqctl import_definitions` (or the management UI's import) accepts.
//!
//! The document is written from the same [`Topology`] values `declare = true` declares and
//! `--check` inspects, so it cannot drift from them. Every queue a route consumes, retries
//! through or parks messages in is listed, durable, in the vhost of the route's connection:
//! a `declare = false` route's queues too (as plain durable queues, with the retry queues'
//! TTL and dead-letter arguments, which the retries need), since `--check` wants them to
//! exist. Routes on a named `connection` talk to another broker and are left out (with a
//! note).

use std::collections::HashSet;

use serde_json::{Value, json};

use super::backend::Prepared;
use super::field::table_json;
use super::topology::Topology;
use crate::backend::BrokerDefinitions;

/// The definitions of `routes`' topologies; each queue, exchange and binding once.
pub(crate) fn document(routes: &[Prepared]) -> BrokerDefinitions {
    let mut doc = Document::default();
    let mut notes = Vec::new();
    for route in routes {
        let def = route.resolved.def;
        if let Some(name) = def.options.connection {
            notes.push(format!(
                "route `{}` is on connection `{name}` (another broker): its queues are not in this document",
                def.name
            ));
            continue;
        }
        let vhost = route.connection.vhost();
        for topology in &route.topologies {
            doc.add(vhost, topology);
        }
    }
    BrokerDefinitions {
        document: json!({
            "queues": doc.queues,
            "exchanges": doc.exchanges,
            "bindings": doc.bindings,
        }),
        notes,
    }
}

/// The three lists of a definitions document, and what they hold already.
#[derive(Default)]
struct Document {
    queues: Vec<Value>,
    exchanges: Vec<Value>,
    bindings: Vec<Value>,
    /// (list, vhost, name or binding): several routes share a parking queue or an exchange.
    seen: HashSet<(&'static str, String, String)>,
}

impl Document {
    fn first(&mut self, list: &'static str, vhost: &str, name: String) -> bool {
        self.seen.insert((list, vhost.to_owned(), name))
    }

    fn add(&mut self, vhost: &str, t: &Topology) {
        for q in &t.queues {
            if self.first("queue", vhost, q.name.clone()) {
                self.queues.push(json!({
                    "name": q.name,
                    "vhost": vhost,
                    "durable": true,
                    "auto_delete": false,
                    "arguments": table_json(&q.arguments),
                }));
            }
        }
        for e in &t.exchanges {
            if self.first("exchange", vhost, e.name.clone()) {
                self.exchanges.push(json!({
                    "name": e.name,
                    "vhost": vhost,
                    "type": e.kind,
                    "durable": true,
                    "auto_delete": false,
                    "internal": false,
                    "arguments": {},
                }));
            }
        }
        let queue = &t.queues[0].name;
        for b in &t.bindings {
            let arguments = table_json(&b.arguments);
            let key = format!("{}\0{queue}\0{}\0{arguments}", b.exchange, b.key);
            if self.first("binding", vhost, key) {
                self.bindings.push(json!({
                    "source": b.exchange,
                    "vhost": vhost,
                    "destination": queue,
                    "destination_type": "queue",
                    "routing_key": b.key,
                    "arguments": arguments,
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amqp::def::{QueueType, TopologyOptions};

    #[test]
    fn shared_queues_and_exchanges_are_listed_once() {
        let options = TopologyOptions {
            bind: &[("shop", "order.*")],
            ..TopologyOptions::DEFAULT
        };
        let topology = |queue: &str| {
            Topology::new(queue, QueueType::Quorum, true, None, Some("parking"))
                .shaped(&options, Some("parking"))
        };
        let mut doc = Document::default();
        doc.add("billing", &topology("orders"));
        doc.add("billing", &topology("refunds"));
        let names: Vec<&str> = doc
            .queues
            .iter()
            .map(|q| q["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["orders", "parking", "refunds"]);
        assert_eq!(doc.exchanges.len(), 1);
        assert_eq!(doc.exchanges[0]["type"], "topic");
        assert_eq!(doc.bindings.len(), 2);
        assert_eq!(doc.bindings[1]["destination"], "refunds");
        assert_eq!(doc.queues[0]["vhost"], "billing");
        assert_eq!(doc.queues[0]["arguments"]["x-queue-type"], "quorum");
        assert_eq!(
            doc.queues[0]["arguments"]["x-dead-letter-routing-key"],
            "parking"
        );
    }
}
