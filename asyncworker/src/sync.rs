//! Locks that outlive a panic.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, poisoned or not: a poisoned lock only means a panic elsewhere while it was held,
/// and every structure behind our locks is left consistent between statements.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
