//! What a codec reads: one body and what came with it.

use bytes::Bytes;

/// One body as received, with its content type and (AMQP) properties.
///
/// ```
/// use asyncworker::codec::Payload;
///
/// let p = Payload::from_slice(b"hello");
/// assert_eq!(p.data(), b"hello");
/// assert_eq!(p.content_type(), None);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Payload<'a> {
    data: &'a [u8],
    /// The same bytes when the backend holds them as `Bytes` (AMQP): [`Payload::bytes`] is
    /// then a reference count, not a copy.
    shared: Option<&'a Bytes>,
    #[cfg(feature = "amqp")]
    properties: Option<&'a lapin::BasicProperties>,
}

impl<'a> Payload<'a> {
    /// A payload of `data` alone (SSE's `data:`, or a test's bytes).
    pub fn from_slice(data: &'a [u8]) -> Payload<'a> {
        Payload {
            data,
            shared: None,
            #[cfg(feature = "amqp")]
            properties: None,
        }
    }

    /// An AMQP delivery's body and properties.
    #[cfg(feature = "amqp")]
    pub(crate) fn amqp(data: &'a Bytes, properties: &'a lapin::BasicProperties) -> Payload<'a> {
        Payload {
            data,
            shared: Some(data),
            properties: Some(properties),
        }
    }

    /// The body.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The body as `Bytes`: shares the delivery's buffer on AMQP, a copy otherwise.
    pub fn bytes(&self) -> Bytes {
        self.shared
            .cloned()
            .unwrap_or_else(|| Bytes::copy_from_slice(self.data))
    }

    /// The `content_type` property, if the message has one (AMQP).
    pub fn content_type(&self) -> Option<&'a str> {
        #[cfg(feature = "amqp")]
        if let Some(ct) = self.properties.and_then(|p| p.content_type().as_ref()) {
            return Some(ct.as_str());
        }
        None
    }

    /// The AMQP properties (headers, message id, ...), on an AMQP route.
    #[cfg(feature = "amqp")]
    pub fn properties(&self) -> Option<&'a lapin::BasicProperties> {
        self.properties
    }
}
