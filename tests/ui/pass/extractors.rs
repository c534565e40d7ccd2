//! Handlers taking `State<T>` and `App` extractors (in any order and number) before their
//! messages, with a `serde::Deserialize` body.

use asyncworker::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    id: u64,
}

struct Db;
struct Config {
    limit: usize,
}

#[route(amqp = ["extract.bulk"], bulk_size = 10)]
async fn bulk(db: State<Db>, app: App, config: State<Config>, messages: Vec<Message<Order>>) {
    let _db: &Db = &db;
    let _ = app.is_shutting_down();
    for m in messages.iter().take(config.limit) {
        if m.body().id == 0 {
            m.reject();
        }
    }
}

#[route(amqp = ["extract.one"])]
async fn one(app: App, db: State<Db>, message: Message<Order>) -> anyhow::Result<()> {
    let _ = (app, &*db, message.body().id);
    Ok(())
}

#[route(amqp = ["extract.eight"], bulk_size = 2)]
#[allow(clippy::too_many_arguments)]
async fn eight(
    _a: App,
    _b: State<Db>,
    _c: App,
    _d: State<Config>,
    _e: App,
    _f: State<Db>,
    _g: App,
    _h: State<Config>,
    _messages: Vec<Message<Order>>,
) {
}

#[on_startup]
async fn start(app: &App) -> Result<(), asyncworker::StateError> {
    app.insert(Db)?;
    app.insert(Config { limit: 5 })
}

fn main() {}
