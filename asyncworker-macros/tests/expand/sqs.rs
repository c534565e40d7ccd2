use asyncworker::prelude::*;

/// Stores orders from a standard queue and a FIFO queue given by URL, up to ten at a time; a
/// failed bulk is retried three times, 10 seconds then a minute later, then parked.
#[route(
    sqs = ["orders", "https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo"],
    bulk_size = 10,
    bulk_flush = "2s",
    concurrency = 2,
    on_decode_error = "ack",
    timeout = "20s",
    wait_time = "20s",
    visibility_timeout = "1m",
    retries = 3,
    retry_delay = ["10s", "1m"],
    dead_letter = "orders-dlq",
    error_handler = on_failure,
)]
async fn store(db: State<Db>, messages: Vec<SqsMessage<Order>>) -> anyhow::Result<()> {
    db.store(&messages).await
}
