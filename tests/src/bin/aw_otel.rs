//! A worker for the trace-context test (`--features otel`): `forward` consumes `otel.in`
//! (under the queue prefix) and publishes each body onward to the queue `AW_OTEL_OUT` names;
//! `bulk` takes `otel.bulk` two messages at a time and does nothing; `GET /traced` answers
//! `ok`. Spans go where the `OTEL_*` variables say.

use asyncworker::prelude::*;

#[route(amqp = ["otel.in"])]
async fn forward(app: App, message: Message<serde_json::Value>) -> anyhow::Result<()> {
    let out = std::env::var("AW_OTEL_OUT")?;
    app.amqp().publish("", &out, message.body()).await?;
    Ok(())
}

#[route(amqp = ["otel.bulk"], bulk_size = 2, bulk_flush = "30s")]
async fn bulk(messages: Vec<Message<serde_json::Value>>) {
    let _ = messages;
}

#[route(http = ["/traced"])]
async fn traced() -> &'static str {
    "ok"
}

asyncworker::main!();
