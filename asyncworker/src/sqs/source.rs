//! A queue's pollers: long-poll `ReceiveMessage` (up to ten messages a call), hold each
//! message (its visibility is kept from then on), pass it to the route's dispatcher (through
//! the group gate on a FIFO queue), and back off while SQS cannot be reached.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::client::{ATTEMPT_TIMEOUT, describe};
use super::fifo::SqsInbound;
use super::message::Envelope;
use super::queue::{BATCH, QueueCtx};
use super::settle::SqsReceipt;
use crate::app::App;
use crate::backoff::Backoff;
use crate::dispatch::Inbound;

/// What a poller reports to the readiness endpoint: its part and flag.
pub(crate) struct Readiness {
    pub(crate) app: App,
    pub(crate) part: String,
    pub(crate) flag: Arc<AtomicBool>,
}

impl Readiness {
    pub(crate) fn set(&self, ready: bool, reason: Option<String>) {
        self.flag.store(ready, Ordering::Release);
        self.app.health().set_reason(&self.part, reason);
    }
}

/// When pollers stop: `stop` ends the polling (a receive in flight is let finish, and what it
/// returns goes back at once); `abort` cancels the receive in flight too.
#[derive(Clone)]
pub(crate) struct Stops {
    pub(crate) stop: CancellationToken,
    pub(crate) abort: CancellationToken,
}

/// Receives from `queue` into `tx` until stopped. A receive is not cancelled by `stop`: SQS
/// would still hand its messages to the closed connection, invisible for their whole
/// visibility timeout; it is let finish and what it returns is given back.
pub(crate) async fn poll(
    queue: Arc<QueueCtx>,
    tx: mpsc::Sender<SqsInbound>,
    ready: Arc<Readiness>,
    stops: Stops,
) {
    let mut tx = Some(tx);
    let mut failures = 0u32;
    while !stops.stop.is_cancelled() {
        let asked = tokio::time::Instant::now();
        let received = {
            let receive = receive(&queue);
            tokio::pin!(receive);
            loop {
                tokio::select! {
                    () = stops.abort.cancelled() => return,
                    // The dispatcher ends once every sender is gone: it must not wait for
                    // this receive.
                    () = stops.stop.cancelled(), if tx.is_some() => {
                        tx = None;
                        if let Some(gate) = &queue.groups {
                            gate.close();
                        }
                    }
                    r = &mut receive => break r,
                }
            }
        };
        let messages = match received {
            Ok(messages) => {
                failures = 0;
                ready.set(true, None);
                messages
            }
            Err(e) => {
                failures += 1;
                if failures == 1 || failures.is_multiple_of(20) {
                    tracing::warn!(route = %queue.route, queue = %queue.queue, failures, error = %e, "cannot receive from SQS; retrying");
                }
                ready.set(false, Some(e));
                let pause = Backoff::RECONNECT.delay(failures);
                tokio::select! {
                    () = stops.stop.cancelled() => return,
                    () = tokio::time::sleep(pause) => continue,
                }
            }
        };
        let Some(sender) = tx.as_ref().filter(|_| !stops.stop.is_cancelled()) else {
            give_back(&queue, &messages).await;
            return;
        };
        if !hand_over(&queue, sender, messages, asked, &stops.stop).await {
            return;
        }
    }
}

/// Makes `messages` visible again at once; they are not held (any more).
async fn give_back(queue: &QueueCtx, messages: &[Envelope]) {
    if messages.is_empty() {
        return;
    }
    queue.change_visibility(messages, 0).await;
    queue.held.release(messages);
}

/// One long poll.
async fn receive(queue: &QueueCtx) -> Result<Vec<Envelope>, String> {
    let wait = queue.options.wait_time_s;
    // The request may take the whole wait: its timeout is above it.
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(u64::from(wait)) + ATTEMPT_TIMEOUT)
        .build();
    let out = queue
        .client
        .receive_message()
        .queue_url(&queue.url)
        .max_number_of_messages(BATCH as i32)
        .wait_time_seconds(i32::from(wait))
        .visibility_timeout(i32::try_from(queue.options.visibility_timeout_s).unwrap_or(i32::MAX))
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .customize()
        .config_override(aws_sdk_sqs::config::Builder::new().timeout_config(timeouts))
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok(out
        .messages
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| envelope(&queue.queue, m))
        .collect())
}

/// Our envelope of a received message; `None` for one without a receipt handle (nothing
/// could settle it; SQS always sends one).
fn envelope(queue: &Arc<str>, m: Message) -> Option<Envelope> {
    let attributes: HashMap<String, String> = m
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.as_str().to_owned(), v))
        .collect();
    let receive_count = attributes
        .get("ApproximateReceiveCount")
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    Some(Envelope {
        queue: Arc::clone(queue),
        message_id: Arc::from(m.message_id.unwrap_or_default()),
        receipt_handle: Arc::from(m.receipt_handle?),
        body: bytes::Bytes::from(m.body.unwrap_or_default()),
        receive_count,
        group_id: attributes
            .get("MessageGroupId")
            .map(|g| Arc::from(g.as_str())),
        attributes: Arc::new(attributes),
        message_attributes: Arc::new(m.message_attributes.unwrap_or_default()),
    })
}

/// Holds each message and passes it on; `false` once the worker stops or the dispatcher is
/// gone, after giving back what it could not pass on.
async fn hand_over(
    queue: &Arc<QueueCtx>,
    tx: &mpsc::Sender<SqsInbound>,
    messages: Vec<Envelope>,
    asked: tokio::time::Instant,
    stop: &CancellationToken,
) -> bool {
    let visibility = Duration::from_secs(u64::from(queue.options.visibility_timeout_s));
    for m in &messages {
        queue.held.hold(m, asked + visibility);
    }
    let mut rest = messages.into_iter();
    while let Some(envelope) = rest.next() {
        let inbound = Inbound {
            envelope: envelope.clone(),
            receipt: SqsReceipt {
                queue: Arc::clone(queue),
                envelope,
            },
        };
        let Some(inbound) = (match &queue.groups {
            Some(gate) => gate.admit(inbound),
            None => Some(inbound),
        }) else {
            continue;
        };
        // Stopping while the dispatcher is full: the message goes back with the rest.
        let envelope_of_unsent = inbound.envelope.clone();
        let sent = tokio::select! {
            () = stop.cancelled() => false,
            r = tx.reserve() => r.map(|permit| permit.send(inbound)).is_ok(),
        };
        if !sent {
            let mut back = vec![envelope_of_unsent];
            back.extend(rest);
            give_back(queue, &back).await;
            return false;
        }
    }
    true
}
