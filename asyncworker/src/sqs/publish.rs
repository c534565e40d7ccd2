//! `app.sqs()`: sending messages to SQS queues, one or a batch, with FIFO groups and
//! deduplication ids.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::error::SdkError;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use serde::Serialize;

use super::client::{SqsClients, describe, is_fifo, service_code};
use super::queue::BATCH;

/// Why a send failed. Nothing is dropped silently: a send returns the message id SQS gave
/// the message, or one of these.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SqsSendError {
    /// The body could not be serialized to JSON; nothing was sent.
    Serialize(String),
    /// SQS refused the message: no such queue, a FIFO queue without a group, a body too large,
    /// missing permissions... (its error code and message).
    Refused {
        /// The queue it was sent to.
        queue: String,
        /// SQS's error code, e.g. `AWS.SimpleQueueService.NonExistentQueue`.
        code: String,
        /// SQS's message.
        message: String,
    },
    /// No answer from SQS, after the SDK's own retries (unreachable, throttled, timed out).
    Timeout {
        /// The queue it was sent to.
        queue: String,
        /// The last error seen.
        error: String,
    },
    /// The client could not be set up (no region, an `https://` endpoint without the `tls`
    /// feature).
    Connection(String),
    /// The worker is shutting down and its clients are closed.
    Closed,
}

impl fmt::Display for SqsSendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqsSendError::Serialize(e) => write!(f, "cannot serialize the message body: {e}"),
            SqsSendError::Refused {
                queue,
                code,
                message,
            } => write!(
                f,
                "SQS refused the message for `{queue}`: {code}: {message}"
            ),
            SqsSendError::Timeout { queue, error } => {
                write!(f, "no answer from SQS for `{queue}`: {error}")
            }
            SqsSendError::Connection(e) => write!(f, "cannot reach SQS: {e}"),
            SqsSendError::Closed => {
                f.write_str("the worker is shutting down; SQS sends are closed")
            }
        }
    }
}

impl std::error::Error for SqsSendError {}

/// Sending to SQS: `app.sqs().send("orders", &order)`; see [`App::sqs`](crate::App::sqs).
///
/// Each builder method returns a new handle; the handle itself is cheap to clone.
///
/// ```
/// use asyncworker::prelude::*;
///
/// #[derive(serde::Serialize)]
/// struct Invoice { order: u64 }
///
/// async fn bill(app: &App, order: u64) -> Result<(), asyncworker::sqs::SqsSendError> {
///     app.sqs().send("invoices", &Invoice { order }).await?;
///     // FIFO: the group orders the messages; a deduplication id is made for each send
///     // unless given.
///     app.sqs().group(&order.to_string()).send("invoices.fifo", &Invoice { order }).await?;
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[derive(Clone)]
pub struct Sqs {
    clients: Arc<SqsClients>,
    group: Option<Arc<str>>,
    deduplication_id: Option<Arc<str>>,
    delay_s: Option<i32>,
    attributes: HashMap<String, MessageAttributeValue>,
}

impl fmt::Debug for Sqs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sqs")
            .field("group", &self.group)
            .field("deduplication_id", &self.deduplication_id)
            .field("delay_s", &self.delay_s)
            .finish_non_exhaustive()
    }
}

/// The SQS backend's methods on the application handle (absent without the `sqs` feature).
impl crate::app::App {
    /// Sending to SQS queues (by name or URL); see [`Sqs`].
    pub fn sqs(&self) -> Sqs {
        Sqs {
            clients: self.resource(SqsClients::new),
            group: None,
            deduplication_id: None,
            delay_s: None,
            attributes: HashMap::new(),
        }
    }
}

impl Sqs {
    /// The message group of messages sent to a FIFO queue (required there).
    pub fn group(&self, group_id: &str) -> Sqs {
        Sqs {
            group: Some(Arc::from(group_id)),
            ..self.clone()
        }
    }

    /// The deduplication id of a message sent to a FIFO queue. Without one, each send call
    /// makes its own, so that the SDK's retries of that call are never stored twice.
    pub fn deduplication_id(&self, id: &str) -> Sqs {
        Sqs {
            deduplication_id: Some(Arc::from(id)),
            ..self.clone()
        }
    }

    /// Keeps the message invisible for `delay` after it is sent (standard queues; whole
    /// seconds, at most 15 minutes).
    pub fn delay(&self, delay: Duration) -> Sqs {
        Sqs {
            delay_s: Some(i32::try_from(delay.as_secs()).unwrap_or(i32::MAX)),
            ..self.clone()
        }
    }

    /// A string message attribute, carried with the message.
    pub fn attribute(&self, name: &str, value: &str) -> Sqs {
        let mut next = self.clone();
        if let Ok(v) = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
        {
            next.attributes.insert(name.to_owned(), v);
        }
        next
    }

    /// Sends `body` as JSON to `queue` (a name or a URL): the message id SQS gave it.
    pub async fn send<T: Serialize + ?Sized>(
        &self,
        queue: &str,
        body: &T,
    ) -> Result<String, SqsSendError> {
        let body =
            serde_json::to_string(body).map_err(|e| SqsSendError::Serialize(e.to_string()))?;
        self.send_raw(queue, &body).await
    }

    /// Sends `body` as it is (SQS bodies are text).
    pub async fn send_raw(&self, queue: &str, body: &str) -> Result<String, SqsSendError> {
        let (client, url) = self.target(queue).await?;
        let fifo = is_fifo(&url);
        let out = client
            .send_message()
            .queue_url(&url)
            .message_body(body)
            .set_message_group_id(self.group.as_deref().map(str::to_owned))
            .set_message_deduplication_id(self.dedup(fifo, 0))
            .set_delay_seconds(self.delay_s)
            .set_message_attributes((!self.attributes.is_empty()).then(|| self.attributes.clone()))
            .send()
            .await
            .map_err(|e| send_error(queue, &e))?;
        Ok(out.message_id.unwrap_or_default())
    }

    /// Sends each of `bodies` as JSON to `queue`, ten per call: one result per body, in order.
    pub async fn send_batch<T: Serialize>(
        &self,
        queue: &str,
        bodies: &[T],
    ) -> Vec<Result<String, SqsSendError>> {
        let mut results: Vec<Result<String, SqsSendError>> = Vec::with_capacity(bodies.len());
        let target = self.target(queue).await;
        for (n, chunk) in bodies.chunks(BATCH).enumerate() {
            let start = n * BATCH;
            match &target {
                Err(e) => results.extend(chunk.iter().map(|_| Err(e.clone()))),
                Ok((client, url)) => {
                    let sent = self.send_chunk(client, url, queue, start, chunk).await;
                    results.extend(sent);
                }
            }
        }
        results
    }

    /// One `SendMessageBatch` of up to ten bodies; `start` numbers their deduplication ids.
    async fn send_chunk<T: Serialize>(
        &self,
        client: &aws_sdk_sqs::Client,
        url: &str,
        queue: &str,
        start: usize,
        chunk: &[T],
    ) -> Vec<Result<String, SqsSendError>> {
        let fifo = is_fifo(url);
        let mut results: Vec<Option<Result<String, SqsSendError>>> = vec![None; chunk.len()];
        let mut entries = Vec::with_capacity(chunk.len());
        for (i, body) in chunk.iter().enumerate() {
            match serde_json::to_string(body) {
                Err(e) => results[i] = Some(Err(SqsSendError::Serialize(e.to_string()))),
                Ok(text) => entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(text)
                        .set_message_group_id(self.group.as_deref().map(str::to_owned))
                        .set_message_deduplication_id(self.dedup(fifo, start + i))
                        .set_delay_seconds(self.delay_s)
                        .set_message_attributes(
                            (!self.attributes.is_empty()).then(|| self.attributes.clone()),
                        )
                        .build()
                        .expect("id and body are set"),
                ),
            }
        }
        if !entries.is_empty() {
            let out = client
                .send_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await;
            match out {
                Ok(out) => {
                    for ok in out.successful {
                        if let Some(slot) =
                            ok.id.parse::<usize>().ok().and_then(|i| results.get_mut(i))
                        {
                            *slot = Some(Ok(ok.message_id));
                        }
                    }
                    for failed in out.failed {
                        if let Some(slot) = failed
                            .id
                            .parse::<usize>()
                            .ok()
                            .and_then(|i| results.get_mut(i))
                        {
                            *slot = Some(Err(SqsSendError::Refused {
                                queue: queue.to_owned(),
                                code: failed.code,
                                message: failed.message.unwrap_or_default(),
                            }));
                        }
                    }
                }
                Err(e) => {
                    let error = send_error(queue, &e);
                    for slot in results.iter_mut().filter(|s| s.is_none()) {
                        *slot = Some(Err(error.clone()));
                    }
                }
            }
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(SqsSendError::Timeout {
                        queue: queue.to_owned(),
                        error: "SQS answered nothing for this entry".to_owned(),
                    })
                })
            })
            .collect()
    }

    /// The client and the queue's URL.
    async fn target(&self, queue: &str) -> Result<(aws_sdk_sqs::Client, String), SqsSendError> {
        if self.clients.is_closed() {
            return Err(SqsSendError::Closed);
        }
        let client = self
            .clients
            .client()
            .await
            .map_err(SqsSendError::Connection)?;
        let url = self
            .clients
            .queue_url(&client, queue)
            .await
            .map_err(|e| match e.code {
                Some(code) => SqsSendError::Refused {
                    queue: queue.to_owned(),
                    code,
                    message: e.message,
                },
                None => SqsSendError::Timeout {
                    queue: queue.to_owned(),
                    error: e.message,
                },
            })?;
        Ok((client, url))
    }

    /// The deduplication id of entry `n` of a send to a FIFO queue: the one given (numbered
    /// within a batch), else a fresh one.
    fn dedup(&self, fifo: bool, n: usize) -> Option<String> {
        if !fifo {
            return None;
        }
        Some(match &self.deduplication_id {
            Some(id) if n == 0 => id.to_string(),
            Some(id) => format!("{id}-{n}"),
            None => format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
        })
    }
}

/// An SDK error as a send error: SQS's answer, or the lack of one.
fn send_error<E, R>(queue: &str, error: &SdkError<E, R>) -> SqsSendError
where
    E: std::error::Error + aws_sdk_sqs::error::ProvideErrorMetadata + 'static,
    R: fmt::Debug,
{
    match service_code(error) {
        Some(code) => SqsSendError::Refused {
            queue: queue.to_owned(),
            code,
            message: describe(error),
        },
        None => SqsSendError::Timeout {
            queue: queue.to_owned(),
            error: describe(error),
        },
    }
}
