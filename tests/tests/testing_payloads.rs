//! Payloads under the testing harness, as on the broker (`amqp_payloads.rs`): the body type
//! picks the codec, `publish_with` labels the message with the codec's content type, and SSE's
//! `Event<String>` takes the data as text.

use std::sync::Mutex;

use asyncworker::codec::{Cbor, MsgPack, Raw, Text};
use asyncworker::prelude::*;
use asyncworker::testing::{FateKind, TestWorker};
use bytes::Bytes;

fn kinds(w: &TestWorker, queue: &str) -> Vec<FateKind> {
    w.fates(queue).into_iter().map(|f| f.kind).collect()
}

mod routes {
    use super::*;
    pub static BYTES: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    pub static TEXT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    pub static CBOR: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
    pub static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[route(amqp = ["tp.bytes"])]
    async fn bytes(m: Message<Vec<u8>>) {
        BYTES.lock().unwrap().push(m.body().clone());
    }

    #[route(amqp = ["tp.text"], on_decode_error = "reject")]
    async fn text(m: Message<String>) {
        TEXT.lock().unwrap().push(m.body().clone());
    }

    #[route(amqp = ["tp.cbor"], codec = Cbor, on_decode_error = "reject")]
    async fn cbor(m: Message<(u32, String)>) {
        assert_eq!(
            m.properties().content_type().as_ref().map(|c| c.as_str()),
            Some("application/cbor")
        );
        CBOR.lock().unwrap().push(m.body().clone());
    }

    #[route(sse = ["/tp/events"])]
    async fn events(events: Vec<Event<String>>) {
        let mut seen = EVENTS.lock().unwrap();
        seen.extend(events.iter().map(|e| e.data().clone()));
    }
}

#[tokio::test]
async fn the_body_type_picks_the_codec_under_the_harness_too() {
    let w = TestWorker::builder()
        .only_module("testing_payloads::routes")
        .start()
        .await
        .unwrap();
    w.publish_with::<Raw, _>("tp.bytes", &[0xff_u8, 0x00][..]);
    w.publish_with::<Text, _>("tp.text", "plain");
    w.publish_raw(
        "tp.text",
        Bytes::from_static(&[0xc3, 0x28]),
        Default::default(),
    );
    w.publish_with::<Cbor, _>("tp.cbor", &(7_u32, "seven".to_owned()));
    // MessagePack is not CBOR: a decode error, rejected.
    w.publish_with::<MsgPack, _>("tp.cbor", &(8_u32, "eight".to_owned()));
    w.sse_send("/tp/events", "line", None, "not json, \"as is\"");
    w.settled().await;

    assert_eq!(*routes::BYTES.lock().unwrap(), [vec![0xff, 0x00]]);
    assert_eq!(*routes::TEXT.lock().unwrap(), ["plain"]);
    assert_eq!(
        kinds(&w, "tp.text"),
        [FateKind::Acked, FateKind::Rejected],
        "invalid UTF-8 is a decode error"
    );
    assert_eq!(*routes::CBOR.lock().unwrap(), [(7, "seven".to_owned())]);
    assert_eq!(kinds(&w, "tp.cbor"), [FateKind::Acked, FateKind::Rejected]);
    assert_eq!(*routes::EVENTS.lock().unwrap(), ["not json, \"as is\""]);
    w.stop().await;
}

mod forward {
    use super::*;

    /// Re-publishes each text as MessagePack.
    #[route(amqp = ["tp.in"])]
    async fn forward(app: App, m: Message<String>) -> Result<(), asyncworker::amqp::PublishError> {
        app.amqp()
            .publish_with::<MsgPack, _>("", "tp.out", m.body())
            .await
    }
}

#[tokio::test]
async fn publish_with_sets_the_content_type_of_the_codec() {
    let w = TestWorker::builder()
        .only_module("testing_payloads::forward")
        .start()
        .await
        .unwrap();
    w.publish_with::<Text, _>("tp.in", "hello");
    w.settled().await;
    let out = w.published("", "tp.out");
    assert_eq!(out.len(), 1);
    let props = &out[0].properties;
    assert_eq!(
        props.content_type().as_ref().map(|c| c.as_str()),
        Some("application/msgpack")
    );
    assert_eq!(props.delivery_mode(), &Some(2), "persistent");
    let body: String = rmp_serde::from_slice(&out[0].body).unwrap();
    assert_eq!(body, "hello");
    w.stop().await;
}
