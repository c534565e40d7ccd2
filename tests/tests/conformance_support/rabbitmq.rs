//! Running the table against the real RabbitMQ: declare, publish, run a worker until every
//! message is accounted for, then read what is left in the queues.

use std::collections::BTreeMap;
use std::time::Duration;

use asyncworker::App;
use asyncworker::amqp::{AMQPValue, BasicProperties, FieldTable};
use asyncworker_tests::{Broker, Running, settings, unique_prefix, wait_for};
use lapin::ExchangeKind;
use lapin::options::{ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions};

use super::behave::{Delivery, deliveries, publishes};
use super::metrics::{flushes, sum};
use super::outcome::{Copy, Observations};
use super::table::Scenario;

/// How long every message of the table may take to settle (retries and timeouts included).
const SETTLE_LIMIT: Duration = Duration::from_secs(60);

/// Runs every scenario at once in one worker with the routes of `module`.
pub async fn run(table: &[Scenario], module: &str) -> Observations {
    let prefix = unique_prefix("conformance");
    let broker = Broker::connect().await;
    declare(&broker, &prefix, table).await;
    publish(&broker, &prefix, table).await;
    let running = Running::start(module, settings(&prefix));
    let app = running.app.clone();
    let settled = wait_for(SETTLE_LIMIT, || accounted(&app, &broker, &prefix, table)).await;
    let books = Accounts::read(&app, &prefix, table);
    running.stop().await.expect("the worker stops cleanly");
    let observations = observe(&broker, &app, &prefix, table).await;
    delete(&broker, &prefix, table).await;
    assert!(
        settled,
        "RabbitMQ: not every message was settled within {SETTLE_LIMIT:?}: {books:?}"
    );
    observations
}

/// Every input, in table order, confirmed.
async fn publish(broker: &Broker, prefix: &str, table: &[Scenario]) {
    for s in table {
        for input in &s.inputs {
            let body = [input.body.clone()];
            match (&s.exchange, &input.routing_key) {
                (Some((exchange, _)), Some(key)) => {
                    let exchange = format!("{prefix}{exchange}");
                    broker.publish_raw_to(&exchange, key, body).await;
                }
                _ => {
                    let queue = format!("{prefix}{}", input.queue);
                    broker.publish_raw(&queue, body).await;
                }
            }
        }
    }
}

/// Every queue and exchange [`declare`] made: the node is shared.
async fn delete(broker: &Broker, prefix: &str, table: &[Scenario]) {
    for s in table {
        for (queue, _) in s.declarations(prefix) {
            broker.delete(&queue).await;
        }
        if let Some((exchange, _)) = &s.exchange {
            let exchange = format!("{prefix}{exchange}");
            let options = ExchangeDeleteOptions::default();
            let _ = broker
                .channel
                .exchange_delete(exchange.as_str().into(), options)
                .await;
        }
    }
}

/// Every queue of every scenario, fresh, and the exchanges bound to them.
async fn declare(broker: &Broker, prefix: &str, table: &[Scenario]) {
    for s in table {
        for (queue, arguments) in s.declarations(prefix) {
            broker.declare_with(&queue, arguments).await;
        }
        if let Some((exchange, pattern)) = &s.exchange {
            let (exchange, queue) = (
                format!("{prefix}{exchange}"),
                format!("{prefix}{}", s.queues[0]),
            );
            let c = &broker.channel;
            c.exchange_declare(
                exchange.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("exchange_declare");
            c.queue_bind(
                queue.as_str().into(),
                exchange.as_str().into(),
                pattern.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("queue_bind");
        }
    }
}

/// What the worker counted (its metrics) next to what the handlers saw.
#[derive(Debug)]
struct Accounts {
    inputs: u64,
    /// Deliveries the handlers saw: first ones, redeliveries, later attempts.
    first: u64,
    redelivered: u64,
    retried_copies: u64,
    /// The worker's settlements (all outcomes), decode errors, requeues, rejects, and what
    /// the retry path did.
    settled: u64,
    decode_errors: u64,
    requeued: u64,
    rejected: u64,
    retried: u64,
    dead_lettered: u64,
    published: u64,
}

impl Accounts {
    fn read(app: &App, prefix: &str, table: &[Scenario]) -> Accounts {
        let text = app.metrics().encode();
        let seen = deliveries(prefix);
        let count = |f: &dyn Fn(&Delivery) -> bool| seen.iter().filter(|d| f(d)).count() as u64;
        let messages = |outcome| sum(&text, "asyncworker_messages_total", &[("outcome", outcome)]);
        let retries = |outcome| {
            sum(
                &text,
                "asyncworker_amqp_retries_total",
                &[("outcome", outcome)],
            )
        };
        Accounts {
            inputs: table.iter().map(|s| s.inputs.len() as u64).sum(),
            first: count(&|d| !d.redelivered && d.attempt == 1),
            redelivered: count(&|d| d.redelivered),
            retried_copies: count(&|d| !d.redelivered && d.attempt > 1),
            settled: messages("ack") + messages("reject") + messages("requeue"),
            decode_errors: sum(&text, "asyncworker_decode_errors_total", &[]),
            requeued: messages("requeue"),
            rejected: messages("reject"),
            retried: retries("retried"),
            dead_lettered: retries("dead_lettered"),
            published: publishes(prefix) as u64,
        }
    }

    /// Every delivery was decided, every requeue and retry came back and was handled: the
    /// worker has nothing left to do with the table's messages.
    fn balanced(&self) -> bool {
        let delivered = self.first + self.redelivered + self.retried_copies;
        self.first + self.decode_errors == self.inputs
            && self.settled == delivered + self.decode_errors
            && self.requeued == self.redelivered
            && self.retried == self.retried_copies
    }
}

/// Whether every message of the table is accounted for: the worker's books balance, and the
/// rejected, parked and published copies are all in their queues.
async fn accounted(app: &App, broker: &Broker, prefix: &str, table: &[Scenario]) -> bool {
    let a = Accounts::read(app, prefix, table);
    if !a.balanced() {
        return false;
    }
    let (mut rejected, mut parked, mut published) = (0, 0, 0);
    for s in table {
        for q in &s.queues {
            rejected += u64::from(broker.ready(&format!("{prefix}{q}.rejected")).await);
            published += u64::from(broker.ready(&format!("{prefix}{q}.out")).await);
        }
        if let Some(parking) = &s.parking {
            parked += u64::from(broker.ready(&format!("{prefix}{parking}")).await);
        }
    }
    rejected == a.rejected && parked == a.dead_lettered && published == a.published
}

/// What the stopped run left: every copy in the rejected, parking and `.out` queues, what is
/// still in the consumed and retry queues, and the worker's flushes.
async fn observe(broker: &Broker, app: &App, prefix: &str, table: &[Scenario]) -> Observations {
    let mut copies = Vec::new();
    let mut left = BTreeMap::new();
    for s in table {
        for (queue, _) in s.declarations(prefix) {
            if s.holds(&queue[prefix.len()..]) {
                left.insert(queue.clone(), broker.ready(&queue).await as usize);
                continue;
            }
            for m in broker.take_all(&queue).await {
                copies.push(Copy {
                    queue: queue.clone(),
                    body: m.delivery.data,
                    properties: without_get_count(m.delivery.properties),
                });
            }
        }
    }
    Observations {
        prefix: prefix.to_owned(),
        deliveries: deliveries(prefix),
        copies,
        flushes: flushes(&app.metrics().encode()),
        left,
    }
}

/// `properties` without the `x-delivery-count = 0` that a `basic.get` from a quorum queue adds
/// to what it hands out (RabbitMQ 3.10): it describes the get, not the message in the queue.
fn without_get_count(properties: BasicProperties) -> BasicProperties {
    let Some(headers) = properties.headers() else {
        return properties;
    };
    if headers.inner().get("x-delivery-count") != Some(&AMQPValue::LongLongInt(0)) {
        return properties;
    }
    let mut kept = FieldTable::default();
    for (k, v) in headers.inner() {
        if k.as_str() != "x-delivery-count" {
            kept.insert(k.clone(), v.clone());
        }
    }
    properties.with_headers(kept)
}
