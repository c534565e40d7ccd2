use asyncworker::prelude::*;

struct Db;

// Each wrong part is reported at its own type, before the catch-all handler error.
#[route(amqp = ["q"])]
async fn handle(db: &Db, app: App, message: Message<u8>, extra: String) -> Option<()> {
    let _ = (db, app, message, extra);
    None
}

fn main() {}
