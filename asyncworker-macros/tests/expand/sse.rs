use asyncworker::prelude::*;

/// Follows two event streams of one server, fifty events at a time.
#[route(
    sse = ["/v2/events", "/v2/status"],
    url = "http://127.0.0.1:8080",
    headers = ["Authorization: Bearer ${TOKEN}"],
    bulk_size = 50,
    bulk_flush = "2s",
    idle_timeout = "45s",
)]
async fn watch(totals: State<Totals>, events: Vec<Event<Status>>) -> anyhow::Result<()> {
    totals.add(events.len());
    Ok(())
}
