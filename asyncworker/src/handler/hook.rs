//! What `#[on_startup]` and `#[on_shutdown]` hooks return, and how their futures are boxed.

use std::future::Future;
use std::pin::Pin;

use super::result::{BoxError, IntoHandlerResult};

/// What a hook produced.
pub type HookResult = Result<(), BoxError>;

/// What a hook may return: `()` or `Result<(), E>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid return type for an asyncworker hook",
    label = "return `()` or `Result<(), E>` here",
    note = "a hook is `async fn name(app: &App)` returning `()` or `Result<(), E>` with `E: Into<Box<dyn Error + Send + Sync>>`"
)]
pub trait IntoHookResult {
    /// `Ok` if the hook succeeded.
    fn into_hook_result(self) -> HookResult;
}

// Keeps the hook's own message: without it the error names `IntoHandlerResult`.
#[diagnostic::do_not_recommend]
impl<T: IntoHandlerResult> IntoHookResult for T {
    fn into_hook_result(self) -> HookResult {
        self.into_handler_result()
    }
}

/// Boxes a hook's future; used by the code `#[on_startup]` and `#[on_shutdown]` generate.
///
/// `R` is the hook's output. The macros name it (`box_hook::<u32, _>(...)`, spanned at the
/// user's return type) so that a wrong return type is reported at that type.
#[doc(hidden)]
pub fn box_hook<'a, R, F>(fut: F) -> Pin<Box<dyn Future<Output = HookResult> + Send + 'a>>
where
    R: IntoHookResult,
    F: Future<Output = R> + Send + 'a,
{
    Box::pin(async move { fut.await.into_hook_result() })
}
