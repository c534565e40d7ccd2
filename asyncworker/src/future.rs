//! The one boxed-future type: what hooks, handler calls, checks and backends return once
//! type-erased.

use std::future::Future;
use std::pin::Pin;

/// A boxed, `Send` future borrowing for `'a`.
#[doc(hidden)]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
