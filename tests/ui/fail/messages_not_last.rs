use asyncworker::prelude::*;

#[route(amqp = ["q"], bulk_size = 10)]
async fn handle(messages: Vec<Message<u8>>, app: App) {
    let _ = (messages, app);
}

fn main() {}
