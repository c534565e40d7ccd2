//! A queue's counts, as `GetQueueAttributes` gives them: what `--check` reports and `--drain`
//! waits on.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;

use super::client::{SqsClients, describe};

/// The approximate counts of one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Visible, waiting to be received.
    pub(crate) waiting: u64,
    /// Received and not deleted yet (in flight).
    pub(crate) in_flight: u64,
    /// Sent with a delay that has not passed yet.
    pub(crate) delayed: u64,
}

/// The URL of `queue` and its counts, or why SQS could not tell.
pub(crate) async fn counts(
    clients: &SqsClients,
    client: &Client,
    queue: &str,
) -> Result<Counts, String> {
    let url = clients.queue_url(client, queue).await?;
    let out = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| format!("cannot read the attributes of `{queue}`: {}", describe(&e)))?;
    let attributes = out.attributes.unwrap_or_default();
    let count = |name: QueueAttributeName| {
        attributes
            .get(&name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(Counts {
        waiting: count(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    })
}
