use asyncworker::prelude::*;
use serde::de::DeserializeOwned;

#[route(amqp = ["q"])]
async fn handle<T: DeserializeOwned + Send + 'static>(messages: Vec<Message<T>>) {
    let _ = messages;
}

fn main() {}
