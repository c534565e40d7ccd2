use bytes::Bytes;

use super::*;

#[cfg(feature = "amqp")]
#[test]
fn raw_bytes_share_the_buffer_of_an_amqp_body() {
    let data = Bytes::from_static(&[0, 0xff, 0x80]);
    let properties = lapin::BasicProperties::default().with_content_type("x/y".into());
    let payload = Payload::amqp(&data, &properties);
    assert_eq!(payload.content_type(), Some("x/y"));
    let body: Bytes = Raw::decode(payload).unwrap();
    assert_eq!(body.as_ptr(), data.as_ptr());
}

#[test]
fn raw_never_fails_and_text_rejects_invalid_utf8() {
    let bytes = [0xc3, 0x28];
    let raw: Vec<u8> = Raw::decode(Payload::from_slice(&bytes)).unwrap();
    assert_eq!(raw, bytes);
    let err = <Text as Codec<String>>::decode(Payload::from_slice(&bytes)).unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
}

#[test]
fn json_errors_say_why() {
    let err = <Json as Codec<u32>>::decode(Payload::from_slice(b"\"x\"")).unwrap_err();
    assert!(err.to_string().contains("invalid type"), "{err}");
}
