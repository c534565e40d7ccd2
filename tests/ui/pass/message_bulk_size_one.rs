//! A handler taking one `Message<T>` is accepted when `bulk_size = 1` (the default or explicit).

use asyncworker::prelude::*;

#[route(amqp = ["single"])]
async fn one_by_default(message: Message<u32>) {
    let _ = message.body();
}

#[route(amqp = ["single.explicit"], bulk_size = 1)]
async fn one_explicit(message: Message<String>) -> Result<(), std::io::Error> {
    let _ = message.body().len();
    Ok(())
}

fn main() {}
