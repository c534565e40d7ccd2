//! The consumer side of a (route, queue) pair: one channel, `basic.qos`, `basic.consume`,
//! deliveries forwarded to the route's dispatcher, and a supervisor that rebuilds the channel
//! or the connection whenever lapin's own recovery cannot.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, Consumer};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::acker::Acker;
use super::inbound::{Delivered, Place};
use super::message::Envelope;
use super::poison::PoisonGuard;
use super::settle::{AmqpReceipt, SettlerHandle, spawn_settler};
use super::watch::ChannelWatch;
use crate::amqp::connection::ConnectionManager;
use crate::amqp::retry::RetryPolicy;
use crate::amqp::topology::{Topology, inspect};
use crate::backoff::Backoff;
use crate::dispatch::Inbound;
use crate::observe::health::Reason;

/// Where a source hands its deliveries: the route's dispatcher.
pub(crate) type Tx = mpsc::Sender<Item>;
/// What the pump hands the dispatcher per delivery.
pub(crate) type Item = Inbound<Box<Envelope>, AmqpReceipt>;

/// The consumer of one queue of a route, rebuilt after every failure until shutdown.
pub(crate) struct Source {
    pub(crate) route: Arc<str>,
    pub(crate) queue: Arc<str>,
    pub(crate) prefetch: u16,
    pub(crate) connection: Arc<ConnectionManager>,
    /// This consumer's readiness, as `/health/ready` reports it.
    pub(crate) ready: Arc<AtomicBool>,
    /// Why it is not attached, while it is not (a missing queue, mismatched arguments), as
    /// `/health/ready` lists it.
    pub(crate) reason: Reason,
    /// Counts re-attachments after a failure.
    pub(crate) reconnects: Counter,
    /// Counts settlements that could not be sent on this consumer's channels.
    pub(crate) lost: Counter,
    /// Counts deliveries that arrive with the redelivered flag.
    pub(crate) redelivered: Counter,
    /// Delayed retries and dead letters, when the route has them.
    pub(crate) retry: Option<Arc<RetryPolicy>>,
    /// Slows down and ends requeue loops, on routes without retries.
    pub(crate) guard: Option<Arc<PoisonGuard>>,
    /// The queue with its retry and parking queues: declared before every (re)attachment when
    /// the route says `declare = true`, else checked to exist.
    pub(crate) topology: Arc<Topology>,
    /// The queue has a single active consumer (`single_active = true`): at shutdown the
    /// consumer is not cancelled but its channel closed once its work is settled, so that
    /// the next replica starts where this one stopped (see [`Source::pump`]).
    pub(crate) single_active: bool,
}

/// How an attachment ended.
enum End {
    /// Shutdown asked: stop for good.
    Stop,
    /// Something broke: rebuild after a backoff.
    Retry(String),
}

/// One attachment of the consumer: the channel it consumes on, under its tag, and the settler
/// of that channel's deliveries.
struct Attachment {
    conn: Arc<Connection>,
    channel: Channel,
    tag: String,
    settler: Arc<SettlerHandle>,
}

/// How waiting for lapin's recovery of the channel ended.
enum Recovery {
    /// The channel is back, with delivery tags starting again.
    Recovered,
    /// Shutdown was asked meanwhile.
    Stopping,
    /// It will not come back: why.
    Lost(String),
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
                    self.set_reason(Some(reason.clone()));
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

    /// One attachment: connect (or reuse the connection), attach, pump deliveries until
    /// shutdown or a failure, then detach.
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
        let (channel, consumer, tag) = match self.attach(&conn, stop).await {
            Ok(attached) => attached,
            Err(end) => return end,
        };
        *attempt = 0;
        self.set_reason(None);
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
        let attachment = Attachment {
            conn,
            channel,
            tag,
            settler,
        };
        let mut consumer = consumer;
        let end = self
            .pump(&attachment, &mut consumer, tx.as_ref(), stop)
            .await;
        self.detach(&end, attachment, tx, settler_task).await;
        // Only now: dropping lapin's consumer cancels it, which a single-active one must not
        // be before its channel closes.
        drop(consumer);
        end
    }

    /// Opens a channel, readies the queues, sets the prefetch and starts consuming. Each broker
    /// round trip yields to shutdown: a broker that stopped answering must not hold the worker
    /// past its deadline.
    async fn attach(
        &self,
        conn: &Connection,
        stop: &CancellationToken,
    ) -> Result<(Channel, Consumer, String), End> {
        let channel = step(stop, conn.create_channel(), |e| {
            format!("cannot open a channel: {e}")
        })
        .await?;
        // Declared on every attachment: a broker that lost its queues (a restarted node
        // without durable storage, a deleted queue) gets them back.
        let queues = async {
            if self.topology.declare {
                self.topology.declare(&channel).await
            } else {
                self.retry_queues_exist(conn).await
            }
        };
        step(stop, queues, |e| e).await?;
        let qos = channel.basic_qos(self.prefetch, BasicQosOptions { global: false });
        step(stop, qos, |e| format!("basic.qos failed: {e}")).await?;
        // Unique per worker process and attachment, and telling in the management UI.
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
        let consumer = step(stop, consume, |e| {
            if e.to_string().contains("NOT_FOUND") {
                format!("queue `{}` does not exist (yet): {e}", self.queue)
            } else {
                format!("basic.consume failed: {e}")
            }
        })
        .await?;
        Ok((channel, consumer, tag))
    }

    fn set_reason(&self, reason: Option<String>) {
        *crate::sync::lock(&self.reason) = reason;
    }

    /// Ends an attachment, readiness first, and closes its channel.
    async fn detach(
        &self,
        end: &End,
        attachment: Attachment,
        tx: &mut Option<Tx>,
        settler_task: JoinHandle<()>,
    ) {
        let Attachment {
            conn,
            channel,
            settler,
            ..
        } = attachment;
        if matches!(end, End::Retry(_)) && !conn.status().connected() {
            // lapin's recovery did not bring the connection back: the next attempt builds a
            // new one instead of waiting on this one.
            self.connection.discard(&conn);
        }
        self.ready.store(false, Ordering::Release);
        drop(settler);
        if matches!(end, End::Stop) {
            // Intake is over: let the dispatcher drain, then wait until every decision on this
            // channel has been sent before closing it.
            tx.take();
            let _ = settler_task.await;
        } else {
            // The channel is broken; its ackers are poisoned and the broker requeues its
            // unacked messages. Do not wait for the dispatcher here.
            settler_task.abort();
        }
        close_channel(&channel).await;
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

    /// Forwards deliveries until shutdown (`Stop`) or a channel that cannot go on (`Retry`).
    ///
    /// At shutdown a consumer is cancelled, so the broker sends it nothing more while the
    /// dispatcher finishes what it was given. Not a single active one: cancelling it makes the
    /// broker activate the next replica at once, which would handle later messages while this
    /// one still handles earlier ones. It keeps its place instead until [`Source::detach`]
    /// closes the channel, after its work is settled; the broker then puts what it still held
    /// back at the head of the queue, for the next replica.
    async fn pump(
        &self,
        a: &Attachment,
        consumer: &mut Consumer,
        tx: Option<&Tx>,
        stop: &CancellationToken,
    ) -> End {
        let mut numbering = Numbering::default();
        let mut watch =
            ChannelWatch::new(&self.route, &self.queue, &self.ready, &a.conn, &a.channel);
        loop {
            let next = tokio::select! {
                biased;
                () = stop.cancelled() => {
                    if !self.single_active {
                        self.cancel(a).await;
                    }
                    // Held deliveries go back to the broker now, not after their backoff.
                    if let Some(guard) = &self.guard {
                        guard.release_all();
                    }
                    return End::Stop;
                }
                next = consumer.next() => next,
                // Last: polled only when no delivery is waiting, so it costs nothing under load.
                lost = watch.lost() => return End::Retry(lost),
            };
            match next {
                Some(Ok(delivery)) => {
                    let Some(tx) = tx else { return End::Stop };
                    let number = numbering.next(delivery.delivery_tag);
                    let item = self.inbound_of(delivery, number, &a.settler);
                    if !forward(tx, item, stop).await {
                        return End::Stop;
                    }
                }
                Some(Err(error)) => match self.recover(error, &a.channel, &mut watch, stop).await {
                    Recovery::Recovered => numbering.recovered(),
                    // The next turn sees `stop` and cancels the consumer.
                    Recovery::Stopping => {}
                    Recovery::Lost(why) => return End::Retry(why),
                },
                None => {
                    return End::Retry("the broker cancelled the consumer (queue deleted?)".into());
                }
            }
        }
    }

    /// The dispatcher's item for one delivery, with the receipt that settles it. Not async:
    /// the delivery (about 400 bytes) is moved once, into the item's boxed envelope, rather
    /// than into a future first.
    fn inbound_of(
        &self,
        delivery: Delivery,
        (seq, epoch): (u64, u32),
        settler: &Arc<SettlerHandle>,
    ) -> Item {
        if delivery.redelivered {
            self.redelivered.inc();
        }
        let delivered = Delivered {
            exchange: delivery.exchange,
            routing_key: delivery.routing_key,
            redelivered: delivery.redelivered,
            delivery_tag: delivery.delivery_tag,
            properties: delivery.properties,
            data: bytes::Bytes::from(delivery.data),
            acker: Acker::Broker(delivery.acker),
        };
        delivered.inbound(Place {
            queue: &self.queue,
            seq,
            epoch,
            settler,
            retry: self.retry.as_ref(),
            guard: self.guard.as_ref(),
        })
    }

    /// Waits for lapin to recover the channel after a consumer error.
    async fn recover(
        &self,
        error: lapin::Error,
        channel: &Channel,
        watch: &mut ChannelWatch<'_>,
        stop: &CancellationToken,
    ) -> Recovery {
        tracing::warn!(route = %self.route, queue = %self.queue, %error, "consumer error; waiting for recovery");
        // lapin's notifier never fires when its recovery gives up: keep watching the
        // connection meanwhile.
        let recovered = tokio::select! {
            biased;
            () = stop.cancelled() => return Recovery::Stopping,
            r = channel.wait_for_recovery(error) => r,
            lost = watch.lost() => return Recovery::Lost(lost),
        };
        match recovered {
            // Readiness and its log lines follow the channel in the watch.
            Ok(()) if channel.status().connected() => Recovery::Recovered,
            Ok(()) => Recovery::Lost("channel not usable after recovery".into()),
            Err(e) => Recovery::Lost(format!("channel lost: {e}")),
        }
    }

    /// Stops deliveries; anything prefetched but not forwarded stays unacked, and the broker
    /// redelivers it.
    async fn cancel(&self, a: &Attachment) {
        let cancel = a
            .channel
            .basic_cancel(a.tag.as_str().into(), BasicCancelOptions::default());
        // Bounded: a broker that stopped answering must not hold up shutdown.
        if let Err(e) = tokio::time::timeout(Duration::from_secs(5), cancel)
            .await
            .unwrap_or(Ok(()))
        {
            tracing::debug!(route = %self.route, queue = %self.queue, error = %e, "basic.cancel failed");
        }
    }
}

/// Numbers a channel's deliveries for its settler: `seq` is their order, and `epoch` changes
/// whenever lapin's transparent recovery restarts delivery tags, so that one `multiple` ack
/// never spans two incarnations of the channel.
#[derive(Debug, Default)]
struct Numbering {
    seq: u64,
    epoch: u32,
    last_tag: u64,
}

impl Numbering {
    /// The (seq, epoch) of the delivery tagged `delivery_tag`.
    fn next(&mut self, delivery_tag: u64) -> (u64, u32) {
        // A tag that did not grow: the channel was recovered without an error on the stream.
        if delivery_tag <= self.last_tag {
            self.epoch += 1;
        }
        self.last_tag = delivery_tag;
        self.seq += 1;
        (self.seq - 1, self.epoch)
    }

    /// lapin reported the channel recovered: its tags start again.
    fn recovered(&mut self) {
        self.epoch += 1;
    }
}

/// `fut`, one broker round trip, unless `stop` comes first; its error is described by `why`.
async fn step<T, E>(
    stop: &CancellationToken,
    fut: impl Future<Output = Result<T, E>>,
    why: impl FnOnce(E) -> String,
) -> Result<T, End> {
    tokio::select! {
        biased;
        () = stop.cancelled() => Err(End::Stop),
        r = fut => r.map_err(|e| End::Retry(why(e))),
    }
}

/// Closes a channel that is still open, without waiting long for the broker's answer.
async fn close_channel(channel: &Channel) {
    if channel.status().connected() {
        let close = channel.close(200, "bye".into());
        let _ = tokio::time::timeout(Duration::from_secs(5), close).await;
    }
}

/// Hands one item to the dispatcher; `false` once the dispatcher is gone. `try_send` first:
/// the channel is rarely full, and then no send future (bigger than the item) is built.
async fn forward(tx: &Tx, item: Item, stop: &CancellationToken) -> bool {
    let item = match tx.try_send(item) {
        Ok(()) => return true,
        Err(mpsc::error::TrySendError::Closed(_)) => return false,
        Err(mpsc::error::TrySendError::Full(item)) => item,
    };
    tokio::select! {
        biased;
        r = tx.send(item) => r.is_ok(),
        // A full dispatcher at shutdown: the pump's next turn stops.
        () = stop.cancelled() => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_never_spans_a_restart_of_delivery_tags() {
        let mut n = Numbering::default();
        assert_eq!(n.next(1), (0, 0));
        assert_eq!(n.next(2), (1, 0));
        // Recovered without a word: tags start again.
        assert_eq!(n.next(1), (2, 1));
        n.recovered();
        assert_eq!(n.next(2), (3, 2));
    }
}
