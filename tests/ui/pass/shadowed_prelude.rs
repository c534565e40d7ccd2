//! The generated code names nothing through the user's scope: shadowing the prelude's
//! `Result`, `Vec`, `Option`, `Some`, `None`, `Ok`, `Err`, `Box`, `String`, `Send`, `Sync`,
//! `Fn`, `Future` and `Clone`, or declaring modules named like asyncworker's dependencies, must not
//! break it.

#![allow(dead_code, non_camel_case_types)]

use asyncworker::{App, Message, State, on_shutdown, on_startup, route};

/// A crate-local `Result` alias, as in most applications.
type Result<T> = ::std::result::Result<T, ::std::io::Error>;

struct Vec;
struct Option;
struct Some;
struct None;
struct Ok;
struct Err;
struct Box;
struct String;
struct Send;
struct Sync;
struct Fn;
struct Future;
struct Clone;
mod inventory {}
mod tokio {}
mod serde {}
mod __private {}

struct Db;

#[route(amqp = ["shadowed.bulk"], bulk_size = 10, prefetch = 20, timeout = "5s")]
async fn bulk(db: State<Db>, messages: ::std::vec::Vec<Message<u32>>) -> Result<()> {
    let _ = (&*db, messages.len());
    ::std::result::Result::Ok(())
}

#[route(amqp = ["shadowed.one"], on_success = "reject")]
async fn one(app: App, message: Message<::std::string::String>) {
    let _ = (app.is_shutting_down(), message.body().len());
}

#[on_startup(order = -1)]
async fn start(app: &App) -> Result<()> {
    let _ = app.insert(Db);
    ::std::result::Result::Ok(())
}

#[on_shutdown]
async fn stop(_app: &App) {}

fn main() {}
