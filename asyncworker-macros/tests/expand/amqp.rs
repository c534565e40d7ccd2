use asyncworker::prelude::*;

/// Stores orders from two queues, up to ten at a time; a failed bulk is retried three times,
/// thirty seconds apart, then parked.
#[route(
    amqp = ["orders", "orders.priority"],
    name = "store-orders",
    vhost = "shop",
    bulk_size = 10,
    bulk_flush = "500ms",
    prefetch = 40,
    concurrency = 2,
    on_exception = "reject",
    timeout = "5s",
    retries = 3,
    retry_delay = "30s",
    dead_letter = "orders.parking",
    declare = true,
    queue_type = "quorum",
)]
async fn store(db: State<Db>, messages: Vec<Message<Order>>) -> anyhow::Result<()> {
    db.store(&messages).await
}
