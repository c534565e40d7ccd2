//! The consumer side of a (route, queue) pair: one channel, `basic.qos`, `basic.consume`,
//! deliveries forwarded to the route's dispatcher, and a supervisor that rebuilds the channel
//! or the connection whenever lapin's own recovery cannot.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Consumer};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::message::Envelope;
use super::settle::{AmqpReceipt, spawn_settler};
use crate::amqp::connection::{ConnectionManager, RECOVERY_LIMIT};
use crate::amqp::retry::{Original, RetryPolicy};
use crate::amqp::topology::{Topology, inspect};
use crate::backoff::Backoff;
use crate::dispatch::Inbound;

/// How often a consumer compares its readiness with its channel's state.
const READINESS_POLL: Duration = Duration::from_millis(100);

pub(crate) type Tx = mpsc::Sender<Inbound<Envelope, AmqpReceipt>>;

pub(crate) struct Source {
    pub(crate) route: Arc<str>,
    pub(crate) queue: Arc<str>,
    pub(crate) prefetch: u16,
    pub(crate) connection: Arc<ConnectionManager>,
    /// This consumer's readiness, as `/health/ready` reports it.
    pub(crate) ready: Arc<AtomicBool>,
    /// Counts re-attachments after a failure.
    pub(crate) reconnects: prometheus_client::metrics::counter::Counter,
    /// Counts settlements that could not be sent on this consumer's channels.
    pub(crate) lost: prometheus_client::metrics::counter::Counter,
    /// Delayed retries and dead letters, when the route has them.
    pub(crate) retry: Option<Arc<RetryPolicy>>,
    /// The queue with its retry and parking queues: declared before every (re)attachment when
    /// the route says `declare = true`, else checked to exist.
    pub(crate) topology: Arc<Topology>,
}

enum End {
    /// Shutdown asked: stop for good.
    Stop,
    /// Something broke: rebuild after a backoff.
    Retry(String),
}

impl Source {
    /// Consumes until `stop` is cancelled. Deliveries are forwarded on `tx`, which is dropped
    /// as soon as intake stops so the dispatcher can drain.
    pub(crate) async fn run(self, tx: Tx, stop: CancellationToken) {
        let mut tx = Some(tx);
        let mut attempt: u32 = 0;
        let mut attached_before = false;
        loop {
            match self
                .consume_once(&mut tx, &stop, &mut attempt, &mut attached_before)
                .await
            {
                End::Stop => break,
                End::Retry(reason) => {
                    attempt += 1;
                    let delay = Backoff::RECONNECT.delay(attempt);
                    tracing::warn!(
                        route = %self.route,
                        queue = %self.queue,
                        attempt,
                        retry_in = ?delay,
                        reason = %reason,
                        "consumer is down; retrying"
                    );
                    tokio::select! {
                        biased;
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }

    async fn consume_once(
        &self,
        tx: &mut Option<Tx>,
        stop: &CancellationToken,
        attempt: &mut u32,
        attached_before: &mut bool,
    ) -> End {
        let Some(conn) = self.connection.get(stop).await else {
            return End::Stop;
        };
        // Each broker round trip yields to shutdown: a broker that stopped answering must not
        // hold the worker past its deadline.
        let channel = match until_stopped(stop, conn.create_channel()).await {
            None => return End::Stop,
            Some(Ok(c)) => c,
            Some(Err(e)) => return End::Retry(format!("cannot open a channel: {e}")),
        };
        // Declared on every attachment: a broker that lost its queues (a restarted node
        // without durable storage, a deleted queue) gets them back.
        let prepared = async {
            if self.topology.declare {
                self.topology.declare(&channel).await
            } else {
                self.retry_queues_exist(&conn).await
            }
        };
        match until_stopped(stop, prepared).await {
            None => return End::Stop,
            Some(Ok(())) => {}
            Some(Err(e)) => return End::Retry(e),
        }
        let qos = channel.basic_qos(self.prefetch, BasicQosOptions { global: false });
        match until_stopped(stop, qos).await {
            None => return End::Stop,
            Some(Ok(())) => {}
            Some(Err(e)) => return End::Retry(format!("basic.qos failed: {e}")),
        }
        let tag = format!(
            "asyncworker:{}:{}:{}",
            self.route,
            std::process::id(),
            fastrand::u32(..)
        );
        let consume = channel.basic_consume(
            self.queue.as_ref().into(),
            tag.as_str().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        );
        let consumer = match until_stopped(stop, consume).await {
            None => return End::Stop,
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                let reason = if e.to_string().contains("NOT_FOUND") {
                    format!("queue `{}` does not exist (yet): {e}", self.queue)
                } else {
                    format!("basic.consume failed: {e}")
                };
                return End::Retry(reason);
            }
        };
        *attempt = 0;
        if std::mem::replace(attached_before, true) {
            self.reconnects.inc();
        }
        tracing::info!(route = %self.route, queue = %self.queue, prefetch = self.prefetch, "consuming");
        self.ready.store(true, Ordering::Release);
        let (settler, settler_task) = spawn_settler(
            Arc::clone(&self.route),
            Arc::clone(&self.queue),
            self.lost.clone(),
        );
        let end = self
            .pump(&conn, &channel, consumer, tx, stop, &settler, tag.as_str())
            .await;
        if matches!(end, End::Retry(_)) && !conn.status().connected() {
            // lapin's recovery did not bring the connection back: the next attempt builds a
            // new one instead of waiting on this one.
            self.connection.discard(&conn);
        }
        self.ready.store(false, Ordering::Release);
        if matches!(end, End::Stop) {
            // Intake is over: let the dispatcher drain, then wait until every decision on this
            // channel has been sent before closing it.
            tx.take();
            drop(settler);
            let _ = settler_task.await;
            close_channel(&channel).await;
        } else {
            drop(settler);
            // The channel is broken; its ackers are poisoned and the broker requeues its
            // unacked messages. Do not wait for the dispatcher here.
            settler_task.abort();
            close_channel(&channel).await;
        }
        end
    }

    /// Readiness follows the channel (logging each change); returns why to give up on a channel
    /// that is down for good.
    fn follow(
        &self,
        conn: &lapin::Connection,
        channel: &Channel,
        down_since: &mut Option<tokio::time::Instant>,
    ) -> Option<String> {
        let up = channel.status().connected();
        if up {
            *down_since = None;
        } else if let Some(lost) = self.unrecoverable(conn, channel, down_since) {
            return Some(lost);
        }
        if self.ready.swap(up, Ordering::AcqRel) != up {
            if up {
                tracing::info!(route = %self.route, queue = %self.queue, "channel recovered");
            } else {
                tracing::warn!(route = %self.route, queue = %self.queue, "channel down; lapin is recovering the connection");
            }
        }
        None
    }

    /// Whether a channel that is down should be given up on: its connection or the channel
    /// itself failed for good, or lapin has been recovering for longer than [`RECOVERY_LIMIT`].
    fn unrecoverable(
        &self,
        conn: &lapin::Connection,
        channel: &Channel,
        down_since: &mut Option<tokio::time::Instant>,
    ) -> Option<String> {
        let since = *down_since.get_or_insert_with(tokio::time::Instant::now);
        let c = conn.status();
        let ch = channel.status();
        if c.closed() || c.errored() {
            Some("connection lost".to_owned())
        } else if !(ch.connected() || ch.reconnecting() || ch.initializing()) {
            Some("channel closed".to_owned())
        } else if since.elapsed() > RECOVERY_LIMIT {
            Some(format!(
                "lapin did not recover the connection within {RECOVERY_LIMIT:?}"
            ))
        } else {
            None
        }
    }

    /// Without `declare`, a missing retry or parking queue would make every failed message
    /// bounce between the handler and a failed republish: the consumer waits for them instead.
    async fn retry_queues_exist(&self, conn: &lapin::Connection) -> Result<(), String> {
        for q in self.topology.queues.iter().skip(1) {
            if inspect(conn, &q.name).await?.is_none() {
                return Err(format!(
                    "{} `{}` of queue `{}` does not exist (yet); create it or set declare = true",
                    q.role, q.name, self.queue
                ));
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pump(
        &self,
        conn: &lapin::Connection,
        channel: &Channel,
        mut consumer: Consumer,
        tx: &mut Option<Tx>,
        stop: &CancellationToken,
        settler: &Arc<super::settle::SettlerHandle>,
        tag: &str,
    ) -> End {
        let mut seq: u64 = 0;
        let mut epoch: u32 = 0;
        let mut last_tag: u64 = 0;
        // lapin recovers a lost connection transparently: the consumer stream just pauses. The
        // channel's state is the only sign, so readiness follows it.
        let mut watch = tokio::time::interval(READINESS_POLL);
        let mut down_since: Option<tokio::time::Instant> = None;
        watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let next = tokio::select! {
                biased;
                () = stop.cancelled() => {
                    // Stop deliveries; anything prefetched but not forwarded stays unacked.
                    let cancel = channel.basic_cancel(tag.into(), BasicCancelOptions::default());
                    if let Err(e) = tokio::time::timeout(Duration::from_secs(5), cancel).await.unwrap_or(Ok(())) {
                        tracing::debug!(route = %self.route, queue = %self.queue, error = %e, "basic.cancel failed");
                    }
                    return End::Stop;
                }
                next = consumer.next() => next,
                // Last: polled only when no delivery is waiting, so it costs nothing under load.
                _ = watch.tick() => {
                    if let Some(lost) = self.follow(conn, channel, &mut down_since) {
                        return End::Retry(lost);
                    }
                    continue;
                }
            };
            match next {
                Some(Ok(delivery)) => {
                    // lapin's transparent recovery restarts tags on the new channel.
                    if delivery.delivery_tag <= last_tag {
                        epoch += 1;
                    }
                    last_tag = delivery.delivery_tag;
                    let data = bytes::Bytes::from(delivery.data);
                    let retry = self.retry.as_ref().map(|policy| {
                        let original = Original {
                            data: data.clone(),
                            properties: delivery.properties.clone(),
                            exchange: delivery.exchange.clone(),
                            routing_key: delivery.routing_key.clone(),
                        };
                        (Arc::clone(policy), Box::new(original))
                    });
                    let receipt = AmqpReceipt {
                        settler: Arc::clone(settler),
                        seq,
                        epoch,
                        acker: delivery.acker,
                        retry,
                    };
                    seq += 1;
                    let envelope = Envelope {
                        queue: Arc::clone(&self.queue),
                        exchange: delivery.exchange,
                        routing_key: delivery.routing_key,
                        redelivered: delivery.redelivered,
                        delivery_tag: delivery.delivery_tag,
                        properties: delivery.properties,
                        data,
                    };
                    let Some(sender) = tx.as_ref() else {
                        return End::Stop;
                    };
                    let inbound = Inbound { envelope, receipt };
                    tokio::select! {
                        biased;
                        r = sender.send(inbound) => if r.is_err() { return End::Stop },
                        () = stop.cancelled() => {}
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(route = %self.route, queue = %self.queue, %error, "consumer error; waiting for recovery");
                    // lapin's notifier never fires when its recovery gives up: keep watching
                    // the connection meanwhile.
                    let wait = channel.wait_for_recovery(error);
                    tokio::pin!(wait);
                    let recovered = loop {
                        tokio::select! {
                            biased;
                            () = stop.cancelled() => break None,
                            r = &mut wait => break Some(r),
                            _ = watch.tick() => {
                                if let Some(lost) = self.follow(conn, channel, &mut down_since) {
                                    return End::Retry(lost);
                                }
                            }
                        }
                    };
                    let Some(recovered) = recovered else { continue };
                    match recovered {
                        // Readiness and its log lines follow the channel in the watch arm.
                        Ok(()) if channel.status().connected() => epoch += 1,
                        Ok(()) => return End::Retry("channel not usable after recovery".into()),
                        Err(e) => return End::Retry(format!("channel lost: {e}")),
                    }
                }
                None => {
                    return End::Retry("the broker cancelled the consumer (queue deleted?)".into());
                }
            }
        }
    }
}

async fn until_stopped<T>(
    stop: &CancellationToken,
    fut: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        () = stop.cancelled() => None,
        r = fut => Some(r),
    }
}

async fn close_channel(channel: &Channel) {
    if channel.status().connected() {
        let close = channel.close(200, "bye".into());
        let _ = tokio::time::timeout(Duration::from_secs(5), close).await;
    }
}
