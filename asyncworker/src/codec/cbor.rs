//! CBOR bodies (feature `cbor`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Codec, DecodeError, Encode, EncodeError, Payload};

/// CBOR (ciborium): `#[route(amqp = [...], codec = asyncworker::codec::Cbor)]` and
/// `app.amqp().publish_with::<Cbor, _>(...)`.
///
/// ```
/// use asyncworker::codec::{Cbor, Codec, Encode, Payload};
///
/// let bytes = <Cbor as Encode<(u8, String)>>::encode(&(7, "x".into())).unwrap();
/// let back: (u8, String) = Cbor::decode(Payload::from_slice(&bytes)).unwrap();
/// assert_eq!(back, (7, "x".to_owned()));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Cbor;

impl<T: DeserializeOwned> Codec<T> for Cbor {
    const MEDIA_TYPE: Option<&'static str> = Some("application/cbor");

    fn decode(payload: Payload<'_>) -> Result<T, DecodeError> {
        ciborium::from_reader(payload.data()).map_err(DecodeError::new)
    }
}

impl<T: Serialize + ?Sized> Encode<T> for Cbor {
    const CONTENT_TYPE: &'static str = "application/cbor";

    fn encode(value: &T) -> Result<Vec<u8>, EncodeError> {
        let mut bytes = Vec::new();
        ciborium::into_writer(value, &mut bytes).map_err(EncodeError::new)?;
        Ok(bytes)
    }
}
