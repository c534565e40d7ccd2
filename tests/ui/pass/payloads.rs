//! Every body type that picks its own codec, and the codec key on AMQP and SSE routes.
use asyncworker::prelude::*;

#[route(amqp = ["bytes"])]
async fn bytes(m: Message<bytes::Bytes>) {
    let _: &bytes::Bytes = m.body();
}

#[route(amqp = ["vec"], bulk_size = 10)]
async fn vec(m: Vec<Message<Vec<u8>>>) {
    let _ = m;
}

#[route(amqp = ["text"])]
async fn text(m: Message<String>) {
    let _: &String = m.body();
}

#[route(amqp = ["alias"], codec = asyncworker::codec::Text)]
async fn alias(m: Message<Name>) {
    let _ = m;
}

type Name = String;

#[route(amqp = ["packed"], codec = asyncworker::codec::MsgPack)]
async fn packed(m: Message<(u32, String)>) {
    let _ = m;
}

#[route(sse = ["/events"])]
async fn events(e: Vec<Event<String>>) {
    let _ = e;
}

#[route(sse = ["/cbor"], codec = asyncworker::codec::Cbor)]
async fn cbor(e: Vec<Event<u64>>) {
    let _ = e;
}

fn main() {}
