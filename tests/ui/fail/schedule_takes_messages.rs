use asyncworker::prelude::*;

#[route(every = "1s")]
async fn tick(app: App, messages: Vec<Message<u8>>) {
    let _ = (app, messages);
}

fn main() {}
