//! Running the table against the in-memory harness: the same queues with the same arguments,
//! the same bodies, then `settled()`; read back the same way as on RabbitMQ, and also as the
//! harness itself reports it (`fates`, `published`).

use std::collections::BTreeMap;

use asyncworker::amqp::BasicProperties;
use asyncworker::testing::{ExchangeKind, FateKind, Recorded, TestWorker};
use asyncworker_tests::{settings, unique_prefix};

use super::behave::deliveries;
use super::metrics::flushes;
use super::outcome::{Copy, Fate, Observations, id_of};
use super::table::Scenario;

/// What the harness says itself, per scenario in table order: each message's fates (from
/// `fates`) and what the handlers published (from `published`, as (queue, JSON)).
pub struct Reported {
    pub fates: Vec<BTreeMap<u64, Vec<Fate>>>,
    pub published: Vec<Vec<(String, String)>>,
}

/// Runs every scenario at once in one test worker with the routes of `module`.
pub async fn run(table: &[Scenario], module: &str) -> (Observations, Reported) {
    let prefix = unique_prefix("harness");
    let mut builder = TestWorker::builder()
        .only_module(module)
        .settings(settings(&prefix));
    for s in table {
        for (queue, arguments) in s.declarations(&prefix) {
            builder = builder.declare_queue(&queue, arguments);
        }
    }
    let w = builder.start().await.expect("the test worker starts");
    // As `Broker::publish_raw` publishes them on RabbitMQ.
    let properties = BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into());
    for s in table {
        if let Some((exchange, pattern)) = &s.exchange {
            let exchange = format!("{prefix}{exchange}");
            w.declare_exchange(&exchange, ExchangeKind::Topic);
            w.bind(&format!("{prefix}{}", s.queues[0]), &exchange, pattern);
        }
    }
    for s in table {
        for input in &s.inputs {
            let body = input.body.clone();
            match (&s.exchange, &input.routing_key) {
                (Some((exchange, _)), Some(key)) => {
                    let exchange = format!("{prefix}{exchange}");
                    w.publish_raw_to(&exchange, key, body, properties.clone());
                }
                _ => w.publish_raw(
                    &format!("{prefix}{}", input.queue),
                    body,
                    properties.clone(),
                ),
            }
        }
    }
    w.settled().await;
    let observations = observe(&w, &prefix, table);
    let reported = Reported {
        fates: table.iter().map(|s| fates(&w, &prefix, s)).collect(),
        published: table.iter().map(|s| published(&w, &prefix, s)).collect(),
    };
    w.stop().await;
    (observations, reported)
}

/// What the settled run shows, read as on RabbitMQ.
fn observe(w: &TestWorker, prefix: &str, table: &[Scenario]) -> Observations {
    let mut copies = Vec::new();
    let mut left = BTreeMap::new();
    for s in table {
        for (queue, _) in s.declarations(prefix) {
            let ready = w.queue(&queue);
            if s.holds(&queue[prefix.len()..]) {
                left.insert(queue, ready.len());
                continue;
            }
            copies.extend(ready.into_iter().map(|m| Copy {
                queue: queue.clone(),
                properties: m.properties.clone(),
                body: m.body.to_vec(),
            }));
        }
    }
    Observations {
        prefix: prefix.to_owned(),
        deliveries: deliveries(prefix),
        copies,
        flushes: flushes(&w.app().metrics().encode()),
        left,
    }
}

/// The fates `w.fates` lists for the scenario's queues, per message id in order.
fn fates(w: &TestWorker, prefix: &str, s: &Scenario) -> BTreeMap<u64, Vec<Fate>> {
    let mut out: BTreeMap<u64, Vec<Fate>> = BTreeMap::new();
    for q in &s.queues {
        for f in w.fates(&format!("{prefix}{q}")) {
            let fate = match &f.kind {
                FateKind::Acked => Fate::Acked,
                FateKind::Rejected => Fate::Rejected,
                FateKind::Requeued => Fate::Requeued,
                FateKind::Retried { attempt } => Fate::Retried(*attempt),
                FateKind::DeadLettered { queue } => {
                    Fate::DeadLettered(queue.strip_prefix(prefix).unwrap_or(queue).to_owned())
                }
                other => Fate::Unexplained(format!("{other:?}")),
            };
            out.entry(id_of(&f.body).unwrap_or(u64::MAX))
                .or_default()
                .push(fate);
        }
    }
    out
}

/// What `w.published` lists for the scenario's `<queue>.out`, as (queue, JSON), sorted.
fn published(w: &TestWorker, prefix: &str, s: &Scenario) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = s
        .queues
        .iter()
        .flat_map(|q| {
            let records: Vec<Recorded> = w.published("", &format!("{prefix}{q}.out"));
            records.into_iter().map(move |m| {
                (
                    format!("{q}.out"),
                    m.json::<serde_json::Value>().to_string(),
                )
            })
        })
        .collect();
    out.sort();
    out
}
