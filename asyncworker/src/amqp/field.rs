//! AMQP field values built from Rust values, for queue arguments and message headers.

use lapin::types::{AMQPValue, FieldTable, LongString};
use serde_json::{Map, Value};

/// A string argument or header (`longstr`, the type RabbitMQ expects for strings).
pub(crate) fn long(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s))
}

/// An integer argument or header (`long long`, signed: values past `i64::MAX` are capped).
pub(crate) fn int(n: u64) -> AMQPValue {
    AMQPValue::LongLongInt(i64::try_from(n).unwrap_or(i64::MAX))
}

/// A table of arguments as JSON, as RabbitMQ's definitions documents write them.
pub(crate) fn table_json(table: &FieldTable) -> Value {
    let map: Map<String, Value> = table
        .inner()
        .iter()
        .map(|(key, value)| (key.to_string(), value_json(value)))
        .collect();
    Value::Object(map)
}

/// One argument as JSON: the kinds arguments and headers we write take, the rest as text.
fn value_json(value: &AMQPValue) -> Value {
    match value {
        AMQPValue::Boolean(b) => Value::Bool(*b),
        AMQPValue::LongLongInt(n) => Value::from(*n),
        AMQPValue::LongInt(n) => Value::from(*n),
        AMQPValue::LongUInt(n) => Value::from(*n),
        AMQPValue::ShortInt(n) => Value::from(*n),
        AMQPValue::LongString(s) => Value::String(s.to_string()),
        AMQPValue::ShortString(s) => Value::String(s.to_string()),
        AMQPValue::FieldTable(t) => table_json(t),
        other => Value::String(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_past_the_signed_range_are_capped() {
        assert_eq!(int(1500), AMQPValue::LongLongInt(1500));
        assert_eq!(int(u64::MAX), AMQPValue::LongLongInt(i64::MAX));
    }

    #[test]
    fn tables_become_json_objects() {
        let mut table = FieldTable::default();
        table.insert("x-message-ttl".into(), int(1500));
        table.insert("x-dead-letter-exchange".into(), long(""));
        table.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
        assert_eq!(
            table_json(&table),
            serde_json::json!({
                "x-message-ttl": 1500,
                "x-dead-letter-exchange": "",
                "x-single-active-consumer": true,
            })
        );
    }
}
