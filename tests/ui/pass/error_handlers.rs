//! Every form of `error_handler`: with extractors, with a `Result`, by path, on AMQP and SSE.

use asyncworker::prelude::*;

#[derive(serde::Deserialize)]
struct Order {
    id: u64,
}

struct Reporter;

mod errors {
    use super::*;

    pub async fn on_order_failure(
        _app: App,
        _reporter: State<Reporter>,
        failure: Failure,
        messages: Vec<Message<Order>>,
    ) -> Result<(), std::io::Error> {
        if let Failure::Decode { message, .. } = &failure {
            message.reject();
        }
        for m in &messages {
            let _ = m.body().id;
            m.requeue();
        }
        Ok(())
    }

    pub async fn on_event_failure(_failure: Failure, events: Vec<Event<Order>>) {
        let _ = events.len();
    }
}

#[route(amqp = ["orders"], error_handler = errors::on_order_failure)]
async fn one(m: Message<Order>) -> Result<(), String> {
    let _ = m.body().id;
    Ok(())
}

#[route(amqp = ["orders2"], bulk_size = 10, error_handler = errors::on_order_failure)]
async fn bulk(messages: Vec<Message<Order>>) {
    let _ = messages.len();
}

#[route(sse = ["/events"], error_handler = errors::on_event_failure)]
async fn events(events: Vec<Event<Order>>) {
    let _ = events.len();
}

fn main() {}
