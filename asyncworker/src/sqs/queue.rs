//! One queue of a route, resolved: its URL, where its rejected messages go, and the batch
//! calls that settle its messages (ten entries per call, SQS's limit).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, ChangeMessageVisibilityBatchRequestEntry,
    DeleteMessageBatchRequestEntry, MessageAttributeValue, SendMessageBatchRequestEntry,
};

use super::client::describe;
use super::def::SqsOptions;
use super::fifo::GroupGate;
use super::message::Envelope;
use super::visibility::Held;

/// SQS takes at most ten entries per batch call.
pub(crate) const BATCH: usize = 10;

/// The error code of a receipt handle that no longer holds the message (it was deleted, or
/// its visibility ran out and someone else received it).
const INVALID_RECEIPT: &str = "ReceiptHandleIsInvalid";

/// The dead-letter queue of a route, resolved.
pub(crate) struct DeadLetter {
    pub(crate) name: Arc<str>,
    pub(crate) url: String,
}

/// One queue of a route, as the receipts of its messages settle them.
pub(crate) struct QueueCtx {
    pub(crate) route: Arc<str>,
    /// The queue as the route lists it.
    pub(crate) queue: Arc<str>,
    pub(crate) url: String,
    pub(crate) client: Client,
    pub(crate) options: SqsOptions,
    pub(crate) dead_letter: Option<DeadLetter>,
    /// The messages received and not settled yet, whose visibility the keeper extends.
    pub(crate) held: Arc<Held>,
    /// On a FIFO queue: the messages waiting for an earlier one of their group.
    pub(crate) groups: Option<GroupGate>,
}

impl QueueCtx {
    /// Deletes `messages`; a receipt that no longer holds its message counts as done (another
    /// receive has it, or it is gone), as Loafer does, and is logged.
    pub(crate) async fn delete(&self, messages: &[Envelope]) {
        for chunk in messages.chunks(BATCH) {
            let entries = chunk.iter().enumerate().map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle.as_ref())
                    .build()
            });
            let result = self
                .client
                .delete_message_batch()
                .queue_url(&self.url)
                .set_entries(entries.collect::<Result<Vec<_>, _>>().ok())
                .send()
                .await;
            match result {
                Ok(out) => self.failed_entries("delete", chunk, &out.failed),
                Err(e) => tracing::error!(
                    route = %self.route, queue = %self.queue, messages = chunk.len(),
                    error = %describe(&e),
                    "cannot delete handled messages: they come back once their visibility timeout passes"
                ),
            }
        }
    }

    /// Makes `messages` invisible for `seconds` from now (0: visible at once).
    pub(crate) async fn change_visibility(&self, messages: &[Envelope], seconds: u32) -> bool {
        let mut all = true;
        for chunk in messages.chunks(BATCH) {
            let entries = chunk.iter().enumerate().map(|(i, m)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle.as_ref())
                    .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
                    .build()
            });
            let result = self
                .client
                .change_message_visibility_batch()
                .queue_url(&self.url)
                .set_entries(entries.collect::<Result<Vec<_>, _>>().ok())
                .send()
                .await;
            match result {
                Ok(out) => {
                    all &= out.failed.is_empty();
                    self.failed_entries("change the visibility of", chunk, &out.failed);
                }
                Err(e) => {
                    all = false;
                    tracing::warn!(
                        route = %self.route, queue = %self.queue, messages = chunk.len(), seconds,
                        error = %describe(&e),
                        "cannot change the visibility of messages"
                    );
                }
            }
        }
        all
    }

    /// Sends `messages` to the dead-letter queue, then deletes the ones it took. A message it
    /// did not take stays invisible until its visibility timeout: it comes back then, never
    /// lost, and without a hot loop while the dead-letter queue is unreachable.
    pub(crate) async fn park(&self, messages: &[Envelope], error: Option<&str>) {
        let Some(dead_letter) = &self.dead_letter else {
            self.delete(messages).await;
            return;
        };
        for chunk in messages.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, m)| self.parked_copy(i, m, error));
            let result = self
                .client
                .send_message_batch()
                .queue_url(&dead_letter.url)
                .set_entries(entries.collect::<Result<Vec<_>, _>>().ok())
                .send()
                .await;
            let sent: Vec<Envelope> = match result {
                Ok(out) => {
                    self.failed_entries("dead-letter", chunk, &out.failed);
                    out.successful
                        .iter()
                        .filter_map(|s| chunk.get(s.id.parse::<usize>().ok()?).cloned())
                        .collect()
                }
                Err(e) => {
                    tracing::error!(
                        route = %self.route, queue = %self.queue, dead_letter = %dead_letter.name,
                        messages = chunk.len(), error = %describe(&e),
                        "cannot send messages to the dead-letter queue: they come back once their visibility timeout passes"
                    );
                    Vec::new()
                }
            };
            self.delete(&sent).await;
        }
    }

    /// The copy of `m` sent to the dead-letter queue: the same body and attributes, plus the
    /// route, the queue and the error (as far as SQS's ten attributes per message allow).
    fn parked_copy(
        &self,
        index: usize,
        m: &Envelope,
        error: Option<&str>,
    ) -> Result<SendMessageBatchRequestEntry, aws_sdk_sqs::error::BuildError> {
        let mut attributes = (*m.message_attributes).clone();
        let ours = [
            (super::ROUTE_ATTRIBUTE, Some(self.route.as_ref())),
            (super::QUEUE_ATTRIBUTE, Some(self.queue.as_ref())),
            (super::ERROR_ATTRIBUTE, error),
        ];
        for (name, value) in ours {
            if let Some(value) = value.filter(|v| !v.is_empty() && attributes.len() < 10) {
                let value = crate::failure::cut_error(value);
                attributes.insert(name.to_owned(), string_attribute(value)?);
            }
        }
        let fifo = super::client::is_fifo(self.dead_letter.as_ref().map_or("", |d| &d.url));
        SendMessageBatchRequestEntry::builder()
            .id(index.to_string())
            .message_body(String::from_utf8_lossy(&m.body))
            .set_message_attributes(Some(attributes))
            .set_message_group_id(
                fifo.then(|| m.group_id.as_deref().unwrap_or("dead-letter").to_owned()),
            )
            .set_message_deduplication_id(fifo.then(|| m.message_id.to_string()))
            .build()
    }

    /// Logs the entries of a batch call SQS did not carry out; a receipt that no longer holds
    /// its message is only worth an info line.
    fn failed_entries(&self, what: &str, chunk: &[Envelope], failed: &[BatchResultErrorEntry]) {
        for f in failed {
            let message =
                f.id.parse::<usize>()
                    .ok()
                    .and_then(|i| chunk.get(i))
                    .map_or("?", |m| &m.message_id);
            if f.code == INVALID_RECEIPT {
                tracing::info!(
                    route = %self.route, queue = %self.queue, message_id = message,
                    "cannot {what} a message whose receipt is no longer valid (deleted, or received again elsewhere): counted as done"
                );
            } else {
                tracing::warn!(
                    route = %self.route, queue = %self.queue, message_id = message,
                    code = %f.code, error = f.message.as_deref().unwrap_or(""),
                    "SQS did not {what} a message"
                );
            }
        }
    }

    /// The delay before a failed message's next attempt, rounded up to SQS's whole seconds.
    pub(crate) fn retry_seconds(&self, attempt: u32) -> Option<u32> {
        let delay: Duration = self.options.retry_delay_after(attempt)?;
        Some(u32::try_from(delay.as_millis().div_ceil(1000)).unwrap_or(u32::MAX))
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, aws_sdk_sqs::error::BuildError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
}
