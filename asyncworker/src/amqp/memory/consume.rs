//! A route's consumer of one queue on the in-memory broker: the queue's topology declared and
//! its consumer registered when the backend is prepared (so a test can publish as soon as the
//! worker started), then deliveries forwarded to the dispatcher with the same receipts, settler
//! and retry policy as on RabbitMQ.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio_util::sync::CancellationToken;

use super::broker::MemoryBroker;
use super::routing::ExchangeKind;
use crate::amqp::backend::Prepared;
use crate::amqp::consumer::acker::Acker;
use crate::amqp::consumer::inbound::{Delivered, Place};
use crate::amqp::consumer::settle::spawn_settler;
use crate::amqp::consumer::source::{Source, Tx};
use crate::amqp::topology::Topology;
use crate::registry::RouteProblem;

/// Declares every route's exchanges, queues (with their retry and parking queues) and bindings,
/// and registers one consumer per (route, queue). A queue or exchange a route declares that
/// exists with other arguments is a problem of that route, worded as RabbitMQ's 406 is.
pub(crate) fn attach(broker: &MemoryBroker, routes: &[Prepared]) -> Vec<RouteProblem> {
    let mut problems = Vec::new();
    for route in routes {
        let def = route.resolved.def;
        for (queue, topology) in route.queues.iter().zip(&route.topologies) {
            let declared = declare(broker, topology);
            let consumed =
                declared.and_then(|()| broker.consume(def.name, queue, route.resolved.prefetch));
            if let Err(e) = consumed {
                problems.push(RouteProblem::of(def, e));
            }
        }
    }
    problems
}

/// What `topology.declare` does on RabbitMQ; without `declare`, a missing queue is created
/// anyway (a test declares nothing by hand) and an existing one taken as it is.
fn declare(broker: &MemoryBroker, topology: &Topology) -> Result<(), String> {
    for e in &topology.exchanges {
        let kind = ExchangeKind::named(e.kind)
            .ok_or_else(|| format!("unknown exchange type `{}`", e.kind))?;
        broker.declare_exchange(&e.name, kind)?;
    }
    for q in &topology.queues {
        broker.declare_queue(&q.name, &q.arguments, topology.declare)?;
    }
    let queue = &topology.queues[0].name;
    for b in &topology.bindings {
        broker.bind(queue, &b.exchange, &b.key, &b.arguments)?;
    }
    Ok(())
}

/// Forwards the deliveries of `source`'s queue until `stop`; then lets the dispatcher drain,
/// waits for the settler, and closes the channel, which requeues what was never settled.
pub(crate) async fn consume(
    broker: Arc<MemoryBroker>,
    source: Source,
    tx: Tx,
    stop: CancellationToken,
) {
    let Some((channel, mut deliveries)) = broker.take_consumer(&source.route, &source.queue) else {
        return;
    };
    source.ready.store(true, Ordering::Release);
    let (settler, settler_task) = spawn_settler(
        Arc::clone(&source.route),
        Arc::clone(&source.queue),
        source.lost.clone(),
    );
    let mut seq = 0;
    loop {
        let next = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            next = deliveries.recv() => next,
        };
        let Some(d) = next else { break };
        let m = d.message;
        if m.redelivered {
            source.redelivered.inc();
        }
        let delivered = Delivered {
            exchange: m.exchange.as_str().into(),
            routing_key: m.routing_key.as_str().into(),
            redelivered: m.redelivered,
            delivery_tag: d.tag,
            properties: m.properties,
            data: m.body,
            acker: Acker::Memory {
                broker: Arc::clone(&broker),
                channel,
                tag: d.tag,
            },
        };
        let inbound = delivered.inbound(Place {
            queue: &source.queue,
            seq,
            epoch: 0,
            settler: &settler,
            retry: source.retry.as_ref(),
            guard: source.guard.as_ref(),
        });
        seq += 1;
        let sent = tokio::select! {
            biased;
            r = tx.send(inbound) => r.is_ok(),
            () = stop.cancelled() => false,
        };
        if !sent {
            break;
        }
    }
    broker.cancel(channel);
    if let Some(guard) = &source.guard {
        guard.release_all();
    }
    source.ready.store(false, Ordering::Release);
    drop(tx);
    drop(settler);
    let _ = settler_task.await;
    broker.close(channel);
}
