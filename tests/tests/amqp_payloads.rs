//! Payloads against the real broker: a route's body type picks its decoding (`Bytes` untouched,
//! `String` as UTF-8 text), a user codec decodes CSV, and MessagePack goes round through
//! `publish_with` and `codec = MsgPack`.

use std::sync::Mutex;
use std::time::Duration;

use asyncworker::codec::{Codec, DecodeError, MsgPack, Payload};
use asyncworker::prelude::*;
use asyncworker_tests::{Broker, Running, settings, unique_prefix, wait_until};
use bytes::Bytes;
use serde::{Deserialize, Serialize};

const LIMIT: Duration = Duration::from_secs(10);

/// Bodies that are not JSON, not UTF-8, empty, or all 256 byte values.
fn binary_bodies() -> Vec<Vec<u8>> {
    vec![
        vec![0xff, 0xfe, 0x00, 0x80],
        Vec::new(),
        (0..=255).collect(),
        b"not json {".to_vec(),
    ]
}

mod bytes_route {
    use super::*;
    pub static SEEN: Mutex<Vec<Bytes>> = Mutex::new(Vec::new());

    #[route(amqp = ["bin"], on_decode_error = "requeue")]
    async fn handle(m: Message<Bytes>) {
        assert_eq!(&m.body()[..], m.raw(), "the body is the raw bytes");
        SEEN.lock().unwrap().push(m.body().clone());
    }
}

/// A `Message<Bytes>` route gets every body byte for byte, none of them a decode error (a
/// decode error would requeue it and it would be seen again, or never).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bytes_route_receives_binary_bodies_untouched() {
    let prefix = unique_prefix("bytes");
    let q = format!("{prefix}bin");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.publish_raw(&q, binary_bodies()).await;

    let worker = Running::start(
        &format!("{}::bytes_route", module_path!()),
        settings(&prefix),
    );
    wait_until(LIMIT, "every body handled", || async {
        bytes_route::SEEN.lock().unwrap().len() >= binary_bodies().len()
    })
    .await;
    wait_until(LIMIT, "the queue empty", || async {
        broker.ready(&q).await == 0
    })
    .await;
    worker.stop().await.unwrap();

    let seen: Vec<Vec<u8>> = bytes_route::SEEN
        .lock()
        .unwrap()
        .iter()
        .map(|b| b.to_vec())
        .collect();
    assert_eq!(seen, binary_bodies(), "each body once, untouched, in order");
    broker.delete(&q).await;
}

mod string_route {
    use super::*;
    pub static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    #[route(amqp = ["text"], bulk_size = 10, bulk_flush = "50ms", on_decode_error = "reject")]
    async fn handle(messages: Vec<Message<String>>) {
        let mut seen = SEEN.lock().unwrap();
        seen.extend(messages.into_iter().map(|m| m.body().clone()));
    }
}

/// `Message<String>` takes text as it is (JSON too, not decoded) and sends invalid UTF-8 to
/// `on_decode_error` (reject: the queue's dead-letter queue), never to the handler.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_string_route_rejects_invalid_utf8_by_on_decode_error() {
    let prefix = unique_prefix("string");
    let (q, dlq) = (format!("{prefix}text"), format!("{prefix}text.dlq"));
    let broker = Broker::connect().await;
    broker.declare_with_dlq(&q, &dlq).await;
    let invalid = vec![b'o', b'k', 0xc3, 0x28];
    broker
        .publish_raw(
            &q,
            [
                "héllo".as_bytes().to_vec(),
                invalid.clone(),
                br#""quoted""#.to_vec(),
            ],
        )
        .await;

    let worker = Running::start(
        &format!("{}::string_route", module_path!()),
        settings(&prefix),
    );
    wait_until(LIMIT, "the invalid body dead-lettered", || async {
        broker.ready(&dlq).await == 1
    })
    .await;
    wait_until(LIMIT, "both texts handled", || async {
        string_route::SEEN.lock().unwrap().len() == 2
    })
    .await;
    worker.stop().await.unwrap();

    assert_eq!(
        *string_route::SEEN.lock().unwrap(),
        ["héllo", r#""quoted""#],
        "text as sent, JSON quotes included"
    );
    assert_eq!(broker.drain(&dlq).await, [invalid]);
    assert_eq!(broker.ready(&q).await, 0);
    broker.delete(&q).await;
    broker.delete(&dlq).await;
}

/// `id,total` lines; a line that is not two integers is a decode error.
pub struct Csv;

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    id: u64,
    total: u64,
}

impl Codec<Vec<Row>> for Csv {
    fn decode(payload: Payload<'_>) -> Result<Vec<Row>, DecodeError> {
        let text = std::str::from_utf8(payload.data()).map_err(DecodeError::new)?;
        text.lines()
            .map(|line| {
                let (id, total) = line
                    .split_once(',')
                    .ok_or_else(|| DecodeError::new(format!("no comma in {line:?}")))?;
                let number = |s: &str| s.trim().parse::<u64>().map_err(DecodeError::new);
                Ok(Row {
                    id: number(id)?,
                    total: number(total)?,
                })
            })
            .collect()
    }
}

mod csv_route {
    use super::*;
    pub static SEEN: Mutex<Vec<Vec<Row>>> = Mutex::new(Vec::new());

    #[route(amqp = ["csv"], codec = super::Csv, on_decode_error = "reject")]
    async fn handle(m: Message<Vec<Row>>) {
        SEEN.lock().unwrap().push(m.body().clone());
    }
}

/// A route with `codec = Csv` gets its rows from the user's codec; a body the codec refuses
/// goes to `on_decode_error`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_codec_decodes_csv() {
    let prefix = unique_prefix("csv");
    let (q, dlq) = (format!("{prefix}csv"), format!("{prefix}csv.dlq"));
    let broker = Broker::connect().await;
    broker.declare_with_dlq(&q, &dlq).await;
    broker
        .publish_raw(
            &q,
            [
                b"1,20\n2,30\n".to_vec(),
                b"3;40\n".to_vec(),
                b"4,5".to_vec(),
            ],
        )
        .await;

    let worker = Running::start(&format!("{}::csv_route", module_path!()), settings(&prefix));
    wait_until(LIMIT, "two reports handled, one refused", || async {
        csv_route::SEEN.lock().unwrap().len() == 2 && broker.ready(&dlq).await == 1
    })
    .await;
    worker.stop().await.unwrap();

    let row = |id, total| Row { id, total };
    assert_eq!(
        *csv_route::SEEN.lock().unwrap(),
        [vec![row(1, 20), row(2, 30)], vec![row(4, 5)]]
    );
    assert_eq!(broker.drain(&dlq).await, [b"3;40\n".to_vec()]);
    broker.delete(&q).await;
    broker.delete(&dlq).await;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    id: u64,
    lines: Vec<(String, u32)>,
    note: Option<String>,
}

mod msgpack_route {
    use super::*;
    /// An order with the content type and raw bytes it came with.
    pub type Seen = (Order, Option<String>, Vec<u8>);
    pub static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

    #[route(amqp = ["packed"], codec = asyncworker::codec::MsgPack)]
    async fn handle(m: Message<Order>) {
        let content_type = m
            .properties()
            .content_type()
            .as_ref()
            .map(|c| c.to_string());
        SEEN.lock()
            .unwrap()
            .push((m.body().clone(), content_type, m.raw().to_vec()));
    }
}

/// MessagePack round trip: `publish_with::<MsgPack, _>` encodes and labels the message, a
/// `codec = MsgPack` route decodes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msgpack_round_trip_through_publish_with() {
    let prefix = unique_prefix("msgpack");
    let q = format!("{prefix}packed");
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    let orders: Vec<Order> = (0..3)
        .map(|id| Order {
            id,
            lines: vec![("apple".into(), 3), ("é".into(), u32::MAX)],
            note: (id == 1).then(|| "fragile".into()),
        })
        .collect();

    let worker = Running::start(
        &format!("{}::msgpack_route", module_path!()),
        settings(&prefix),
    );
    for order in &orders {
        worker
            .app
            .amqp()
            .publish_with::<MsgPack, _>("", &q, order)
            .await
            .expect("publish_with");
    }
    wait_until(LIMIT, "three orders handled", || async {
        msgpack_route::SEEN.lock().unwrap().len() == 3
    })
    .await;
    worker.stop().await.unwrap();

    let seen = msgpack_route::SEEN.lock().unwrap().clone();
    for ((order, content_type, raw), sent) in seen.iter().zip(&orders) {
        assert_eq!(order, sent);
        assert_eq!(content_type.as_deref(), Some("application/msgpack"));
        assert_eq!(
            *raw,
            rmp_serde::to_vec_named(sent).unwrap(),
            "MessagePack on the wire"
        );
    }
    assert_eq!(broker.ready(&q).await, 0);
    broker.delete(&q).await;
}

mod big_route {
    use super::*;
    pub static SEEN: Mutex<Vec<usize>> = Mutex::new(Vec::new());

    /// Sends each body on, through the worker's own publisher, to `<queue>.out`.
    #[route(amqp = ["big"])]
    async fn handle(app: App, m: Message<Bytes>) -> anyhow::Result<()> {
        let out = format!("{}.out", m.queue());
        let props = lapin::BasicProperties::default();
        app.amqp().publish_raw("", &out, m.body(), props).await?;
        SEEN.lock().unwrap().push(m.body().len());
        Ok(())
    }
}

/// Bodies many times the frame size go through whole both ways: delivered to the worker in
/// many body frames, and published by it in many.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_larger_than_a_frame_are_consumed_and_published_whole() {
    let prefix = unique_prefix("big");
    let (q, out) = (format!("{prefix}big"), format!("{prefix}big.out"));
    let broker = Broker::connect().await;
    broker.declare(&q).await;
    broker.declare(&out).await;
    // 1 MiB, a frame + 1 and 4 MiB - 3 bytes of every byte value.
    let bodies: Vec<Vec<u8>> = [1 << 20, (128 << 10) + 1, (4 << 20) - 3]
        .iter()
        .map(|&n| (0..n).map(|i| (i % 251) as u8).collect())
        .collect();
    broker.publish_raw(&q, bodies.clone()).await;

    let worker = Running::start(&format!("{}::big_route", module_path!()), settings(&prefix));
    wait_until(LIMIT, "every body handled", || async {
        big_route::SEEN.lock().unwrap().len() >= bodies.len()
    })
    .await;
    worker.stop().await.unwrap();

    let lens: Vec<usize> = bodies.iter().map(Vec::len).collect();
    assert_eq!(
        *big_route::SEEN.lock().unwrap(),
        lens,
        "each body once, whole"
    );
    assert_eq!(
        broker.drain(&out).await,
        bodies,
        "published on whole, in order"
    );
    assert_eq!(broker.ready(&q).await, 0, "nothing left behind");
    broker.delete(&q).await;
    broker.delete(&out).await;
}
