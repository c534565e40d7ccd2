//! Why a body does not decode, or a value does not encode.

use std::error::Error;
use std::fmt;

type Cause = Box<dyn Error + Send + Sync + 'static>;

/// Why a body does not decode: the message is settled with the route's `on_decode_error`.
///
/// ```
/// use asyncworker::codec::DecodeError;
///
/// let e = DecodeError::new("a line without a comma");
/// assert_eq!(e.to_string(), "a line without a comma");
/// ```
#[derive(Debug)]
pub struct DecodeError(Cause);

impl DecodeError {
    /// An error from a message or any error value.
    pub fn new(cause: impl Into<Cause>) -> DecodeError {
        DecodeError(cause.into())
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Error for DecodeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// Why a value does not encode: nothing is published.
///
/// ```
/// use asyncworker::codec::EncodeError;
///
/// let e = EncodeError::new("a float key");
/// assert_eq!(e.to_string(), "a float key");
/// ```
#[derive(Debug)]
pub struct EncodeError(Cause);

impl EncodeError {
    /// An error from a message or any error value.
    pub fn new(cause: impl Into<Cause>) -> EncodeError {
        EncodeError(cause.into())
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Error for EncodeError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}
