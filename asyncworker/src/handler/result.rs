//! What handlers return, and the error type their failures become.

use crate::future::BoxFuture;

/// The error type handlers' errors are converted into.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The future a handler call returns once boxed.
pub type HandlerFuture = BoxFuture<'static, Result<(), BoxError>>;

/// What a handler may return: `()` or `Result<(), E>` with `E: Into<BoxError>`
/// (`anyhow::Error`, `std::io::Error`, `String`, ...).
///
/// ```
/// use asyncworker::handler::IntoHandlerResult;
///
/// assert!(().into_handler_result().is_ok());
/// assert!(Err::<(), _>("boom").into_handler_result().is_err());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid return type for an asyncworker handler",
    label = "return `()` or `Result<(), E>` here",
    note = "the error type must convert into `Box<dyn Error + Send + Sync>` (anyhow::Error, std::io::Error, String, ...)"
)]
pub trait IntoHandlerResult {
    /// `Ok` if the handler succeeded.
    fn into_handler_result(self) -> Result<(), BoxError>;
}

// Not listed either: a list of only `()` would contradict the label, which allows `Result`.
#[diagnostic::do_not_recommend]
impl IntoHandlerResult for () {
    fn into_handler_result(self) -> Result<(), BoxError> {
        Ok(())
    }
}

// Without this, a wrong error type is reported as a missing `From` impl of `Box<dyn Error>`,
// far from what the user wrote; with it, the message above names the return type.
#[diagnostic::do_not_recommend]
impl<E: Into<BoxError>> IntoHandlerResult for Result<(), E> {
    fn into_handler_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}
