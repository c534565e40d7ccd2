//! The codecs a body type picks by itself: JSON, raw bytes, UTF-8 text.

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Codec, DecodeError, Encode, EncodeError, Payload};

/// JSON (serde_json): the codec of every `T: Deserialize` body, and of `publish`.
///
/// ```
/// use asyncworker::codec::{Codec, Encode, Json, Payload};
///
/// let bytes = <Json as Encode<[u32]>>::encode(&[1, 2]).unwrap();
/// let back: Vec<u32> = Json::decode(Payload::from_slice(&bytes)).unwrap();
/// assert_eq!(back, [1, 2]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Json;

impl<T: DeserializeOwned> Codec<T> for Json {
    const MEDIA_TYPE: Option<&'static str> = Some("application/json");

    fn decode(payload: Payload<'_>) -> Result<T, DecodeError> {
        serde_json::from_slice(payload.data()).map_err(DecodeError::new)
    }
}

impl<T: Serialize + ?Sized> Encode<T> for Json {
    const CONTENT_TYPE: &'static str = "application/json";

    fn encode(value: &T) -> Result<Vec<u8>, EncodeError> {
        // Sized for a typical message up front: growing from empty reallocates several times.
        let mut bytes = Vec::with_capacity(256);
        serde_json::to_writer(&mut bytes, value).map_err(EncodeError::new)?;
        Ok(bytes)
    }
}

/// The body as it is, `Bytes` (sharing the delivery's buffer) or `Vec<u8>`: never an error.
///
/// ```
/// use asyncworker::codec::{Codec, Payload, Raw};
///
/// let body: bytes::Bytes = Raw::decode(Payload::from_slice(&[0xff, 0])).unwrap();
/// assert_eq!(&body[..], [0xff, 0]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Raw;

impl Codec<Bytes> for Raw {
    const MEDIA_TYPE: Option<&'static str> = Some("application/octet-stream");

    fn decode(payload: Payload<'_>) -> Result<Bytes, DecodeError> {
        Ok(payload.bytes())
    }
}

impl Codec<Vec<u8>> for Raw {
    const MEDIA_TYPE: Option<&'static str> = Some("application/octet-stream");

    fn decode(payload: Payload<'_>) -> Result<Vec<u8>, DecodeError> {
        Ok(payload.data().to_vec())
    }
}

impl<T: AsRef<[u8]> + ?Sized> Encode<T> for Raw {
    const CONTENT_TYPE: &'static str = "application/octet-stream";

    fn encode(value: &T) -> Result<Vec<u8>, EncodeError> {
        Ok(value.as_ref().to_vec())
    }
}

/// The body as UTF-8 text: invalid UTF-8 is a decode error.
///
/// ```
/// use asyncworker::codec::{Codec, Payload, Text};
///
/// let text: String = Text::decode(Payload::from_slice(b"hi")).unwrap();
/// assert_eq!(text, "hi");
/// assert!(<Text as Codec<String>>::decode(Payload::from_slice(&[0xff])).is_err());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Text;

impl Codec<String> for Text {
    const MEDIA_TYPE: Option<&'static str> = Some("text/plain; charset=utf-8");

    fn decode(payload: Payload<'_>) -> Result<String, DecodeError> {
        std::str::from_utf8(payload.data())
            .map(str::to_owned)
            .map_err(|e| DecodeError::new(format!("the body is not UTF-8 text: {e}")))
    }
}

impl<T: AsRef<str> + ?Sized> Encode<T> for Text {
    const CONTENT_TYPE: &'static str = "text/plain; charset=utf-8";

    fn encode(value: &T) -> Result<Vec<u8>, EncodeError> {
        Ok(value.as_ref().as_bytes().to_vec())
    }
}
