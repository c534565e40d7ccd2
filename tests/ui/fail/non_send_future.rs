use std::rc::Rc;

use asyncworker::prelude::*;

async fn save(_n: usize) {}

#[route(amqp = ["q"], bulk_size = 10)]
async fn handle(messages: Vec<Message<u8>>) {
    let counter = Rc::new(messages.len());
    save(*counter).await;
    drop(counter);
}

fn main() {}
