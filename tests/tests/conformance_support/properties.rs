//! A message's properties and headers as one line of text that two runs can compare: the
//! run's queue prefix taken out of every name, and the clock's readings left out.

use asyncworker::amqp::{AMQPValue, BasicProperties, FieldTable};

/// Header keys whose value is a time: left out.
const TIMES: [&str; 2] = ["time", asyncworker::amqp::DEAD_LETTERED_AT_HEADER];

/// `properties` as text: delivery mode, content type and every header (nested ones too, with
/// their AMQP types), names without `prefix`.
pub fn describe(properties: &BasicProperties, prefix: &str) -> String {
    let mut out = format!(
        "mode={:?} type={:?}",
        properties.delivery_mode(),
        properties.content_type().as_ref().map(|t| t.as_str())
    );
    if let Some(headers) = properties.headers() {
        out.push(' ');
        out.push_str(&table(headers, prefix));
    }
    out
}

fn table(t: &FieldTable, prefix: &str) -> String {
    let fields: Vec<String> = t
        .inner()
        .iter()
        .filter(|(k, _)| !TIMES.contains(&k.as_str()))
        .map(|(k, v)| format!("{}={}", k.as_str(), value(v, prefix)))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

fn value(v: &AMQPValue, prefix: &str) -> String {
    match v {
        AMQPValue::LongString(s) => {
            let text = String::from_utf8_lossy(s.as_bytes()).replace(prefix, "");
            format!("{text:?}")
        }
        AMQPValue::ShortString(s) => format!("short:{:?}", s.as_str().replace(prefix, "")),
        AMQPValue::FieldArray(a) => {
            let items: Vec<String> = a.as_slice().iter().map(|i| value(i, prefix)).collect();
            format!("[{}]", items.join(", "))
        }
        AMQPValue::FieldTable(t) => table(t, prefix),
        // Numbers and the rest with their AMQP type: a header a user matches on must have
        // the broker's type too.
        other => format!("{other:?}"),
    }
}
