//! AMQP field values built from Rust values, for queue arguments and message headers.

use lapin::types::{AMQPValue, LongString};

/// A string argument or header (`longstr`, the type RabbitMQ expects for strings).
pub(crate) fn long(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s))
}

/// An integer argument or header (`long long`, signed: values past `i64::MAX` are capped).
pub(crate) fn int(n: u64) -> AMQPValue {
    AMQPValue::LongLongInt(i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_past_the_signed_range_are_capped() {
        assert_eq!(int(1500), AMQPValue::LongLongInt(1500));
        assert_eq!(int(u64::MAX), AMQPValue::LongLongInt(i64::MAX));
    }
}
