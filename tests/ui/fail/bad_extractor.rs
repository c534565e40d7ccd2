use std::sync::Arc;

use asyncworker::prelude::*;

struct Db;

#[route(amqp = ["q"], bulk_size = 10)]
async fn handle(db: Arc<Db>, messages: Vec<Message<u8>>) {
    let _ = (db, messages);
}

fn main() {}
