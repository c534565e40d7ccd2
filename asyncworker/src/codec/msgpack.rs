//! MessagePack bodies (feature `msgpack`).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Codec, DecodeError, Encode, EncodeError, Payload};

/// MessagePack (rmp-serde), structs as maps so that fields are named on the wire:
/// `#[route(amqp = [...], codec = asyncworker::codec::MsgPack)]` and
/// `app.amqp().publish_with::<MsgPack, _>(...)`.
///
/// ```
/// use asyncworker::codec::{Codec, Encode, MsgPack, Payload};
///
/// let bytes = <MsgPack as Encode<(u8, String)>>::encode(&(7, "x".into())).unwrap();
/// let back: (u8, String) = MsgPack::decode(Payload::from_slice(&bytes)).unwrap();
/// assert_eq!(back, (7, "x".to_owned()));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct MsgPack;

impl<T: DeserializeOwned> Codec<T> for MsgPack {
    const MEDIA_TYPE: Option<&'static str> = Some("application/msgpack");

    fn decode(payload: Payload<'_>) -> Result<T, DecodeError> {
        rmp_serde::from_slice(payload.data()).map_err(DecodeError::new)
    }
}

impl<T: Serialize + ?Sized> Encode<T> for MsgPack {
    const CONTENT_TYPE: &'static str = "application/msgpack";

    fn encode(value: &T) -> Result<Vec<u8>, EncodeError> {
        rmp_serde::to_vec_named(value).map_err(EncodeError::new)
    }
}
