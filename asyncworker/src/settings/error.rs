//! `SettingsError`: a setting whose value could not be used.

use std::fmt;

/// A setting whose value could not be used; names the variable and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// Where the value came from, e.g. `ASYNCWORKER_AMQP_PREFETCH` or `main!(amqp_prefetch)`.
    pub source: String,
    /// The rejected value.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value {:?} for {}: expected {}",
            self.value, self.source, self.expected
        )
    }
}

impl std::error::Error for SettingsError {}

impl SettingsError {
    /// The value `value` from `source` is not `expected`.
    pub(crate) fn new(
        source: impl Into<String>,
        value: impl Into<String>,
        expected: &'static str,
    ) -> SettingsError {
        SettingsError {
            source: source.into(),
            value: value.into(),
            expected,
        }
    }
}
