//! How message bodies become values and back: the [`Codec`] a route decodes its bodies with
//! and the [`Encode`] a publish encodes them with.
//!
//! A route's body type picks its codec (the `#[route]` macro reads the type as written):
//!
//! | body type                                        | codec     | decode error           |
//! |--------------------------------------------------|-----------|------------------------|
//! | `Bytes` (`bytes::Bytes`), `Vec<u8>`              | [`Raw`]   | never                  |
//! | `String`                                         | [`Text`]  | invalid UTF-8          |
//! | anything else (`T: serde::Deserialize`)          | [`Json`]  | invalid JSON for `T`   |
//! | any `T`, with `codec = path::to::C` on the route | `C`       | whatever `C` says      |
//!
//! The macro matches the last segment of the type's path (`Bytes`, `String`, `Vec<u8>`), so a
//! type alias (`type Name = String;`) is not recognised and is decoded as JSON; name the codec
//! (`codec = asyncworker::codec::Text`) to decode it as text. `MsgPack` (feature `msgpack`)
//! and `Cbor` (feature `cbor`) are ready codecs for `codec = ...`.
//!
//! A user codec is a type implementing [`Codec`]: the body and its properties in, a value or a
//! [`DecodeError`] out (the route's `on_decode_error` then settles the message).
//!
//! ```
//! use asyncworker::codec::{Codec, DecodeError, Payload};
//! use asyncworker::prelude::*;
//!
//! /// `id,total` lines.
//! struct Csv;
//!
//! impl Codec<Vec<(u64, u64)>> for Csv {
//!     fn decode(payload: Payload<'_>) -> Result<Vec<(u64, u64)>, DecodeError> {
//!         let text = std::str::from_utf8(payload.data()).map_err(DecodeError::new)?;
//!         text.lines()
//!             .map(|line| {
//!                 let (id, total) = line.split_once(',').ok_or("a line without a comma")?;
//!                 Ok((id.parse()?, total.parse()?))
//!             })
//!             .collect::<Result<_, Box<dyn std::error::Error + Send + Sync>>>()
//!             .map_err(DecodeError::new)
//!     }
//! }
//!
//! #[route(amqp = ["reports"], codec = Csv)]
//! async fn totals(report: Message<Vec<(u64, u64)>>) {
//!     let sum: u64 = report.body().iter().map(|(_, total)| total).sum();
//!     println!("{sum}");
//! }
//! # fn main() {}
//! ```

mod builtin;
#[cfg(feature = "cbor")]
mod cbor;
mod error;
#[cfg(feature = "msgpack")]
mod msgpack;
mod payload;

pub use builtin::{Json, Raw, Text};
#[cfg(feature = "cbor")]
pub use cbor::Cbor;
pub use error::{DecodeError, EncodeError};
#[cfg(feature = "msgpack")]
pub use msgpack::MsgPack;
pub use payload::Payload;

/// Decodes the bodies of a route into `T`: bytes and properties in, a value or an error out.
///
/// Chosen at compile time by the route (see the [module](self)): no dynamic dispatch per
/// message. An error settles the message with the route's `on_decode_error` and the handler
/// never sees it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot decode a body into `{T}`",
    label = "no `Codec<{T}>` for `{Self}`",
    note = "JSON bodies (the default) need `{T}: serde::Deserialize`; `Bytes`, `Vec<u8>` and `String` are taken as they are",
    note = "name another codec with `codec = path::to::Codec` (a type implementing `asyncworker::codec::Codec<{T}>`)"
)]
pub trait Codec<T>: 'static {
    /// The content type of the bodies it decodes, for the AsyncAPI document; `None` (the
    /// default): the document names none.
    const MEDIA_TYPE: Option<&'static str> = None;

    /// The body of one message, or why it cannot be one.
    fn decode(payload: Payload<'_>) -> Result<T, DecodeError>;
}

/// Encodes values of `T` for publishing (`app.amqp().publish_with::<C, _>(...)`), and says
/// which content type the result has.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot encode a `{T}`",
    label = "no `Encode<{T}>` for `{Self}`"
)]
pub trait Encode<T: ?Sized> {
    /// The `content_type` property of what [`encode`](Encode::encode) produces.
    const CONTENT_TYPE: &'static str;

    /// The bytes of `value`.
    fn encode(value: &T) -> Result<Vec<u8>, EncodeError>;
}

#[cfg(test)]
mod tests;
