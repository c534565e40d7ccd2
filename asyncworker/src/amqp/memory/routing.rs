//! How an exchange picks the queues of a message, as RabbitMQ's built-in exchange types do.

use lapin::types::{AMQPValue, FieldTable};

/// The type of an in-memory exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExchangeKind {
    /// The routing key equals the binding key.
    Direct,
    /// Every bound queue.
    Fanout,
    /// The binding key is a pattern of dot-separated words: `*` is one word, `#` any number.
    Topic,
    /// The message headers match the binding arguments (`x-match` = `all` or `any`, and their
    /// `-with-x` forms).
    Headers,
}

/// One binding of a queue to an exchange.
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    pub(crate) queue: String,
    pub(crate) key: String,
    pub(crate) arguments: FieldTable,
}

impl ExchangeKind {
    /// The type as RabbitMQ names it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ExchangeKind::Direct => "direct",
            ExchangeKind::Fanout => "fanout",
            ExchangeKind::Topic => "topic",
            ExchangeKind::Headers => "headers",
        }
    }

    /// The type named `name`, as a route's `exchange_type` gives it.
    pub(crate) fn named(name: &str) -> Option<ExchangeKind> {
        [
            ExchangeKind::Direct,
            ExchangeKind::Fanout,
            ExchangeKind::Topic,
            ExchangeKind::Headers,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }

    /// Whether `binding` takes a message with `routing_key` and `headers`.
    pub(crate) fn matches(
        self,
        binding: &Binding,
        routing_key: &str,
        headers: Option<&FieldTable>,
    ) -> bool {
        match self {
            ExchangeKind::Direct => binding.key == routing_key,
            ExchangeKind::Fanout => true,
            ExchangeKind::Topic => topic_matches(&binding.key, routing_key),
            ExchangeKind::Headers => headers_match(&binding.arguments, headers),
        }
    }
}

/// Topic matching: words separated by `.`, `*` matches exactly one word, `#` zero or more.
pub(crate) fn topic_matches(pattern: &str, key: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = if key.is_empty() {
        Vec::new()
    } else {
        key.split('.').collect()
    };
    words_match(&pattern, &key)
}

fn words_match(pattern: &[&str], key: &[&str]) -> bool {
    match pattern.split_first() {
        None => key.is_empty(),
        // `#` takes zero words, or one and stays.
        Some((&"#", rest)) => {
            words_match(rest, key) || (!key.is_empty() && words_match(pattern, &key[1..]))
        }
        Some((&word, rest)) => match key.split_first() {
            Some((&first, tail)) => (word == "*" || word == first) && words_match(rest, tail),
            None => false,
        },
    }
}

/// Headers matching: the binding's arguments other than `x-` ones must all (`x-match = all`,
/// the default) or any (`x-match = any`) be present in the headers with equal values; the
/// `all-with-x` / `any-with-x` forms compare the `x-` arguments too.
pub(crate) fn headers_match(arguments: &FieldTable, headers: Option<&FieldTable>) -> bool {
    let mode = match arguments.inner().get("x-match") {
        Some(AMQPValue::LongString(s)) => s.to_string(),
        Some(AMQPValue::ShortString(s)) => s.to_string(),
        _ => "all".to_owned(),
    };
    let with_x = mode.ends_with("-with-x");
    let wanted = arguments
        .inner()
        .iter()
        .filter(|(k, _)| k.as_str() != "x-match" && (with_x || !k.as_str().starts_with("x-")));
    let empty = FieldTable::default();
    let headers = headers.unwrap_or(&empty);
    let mut matched = wanted.map(|(k, v)| {
        headers
            .inner()
            .get(k.as_str())
            .is_some_and(|h| same_value(v, h))
    });
    if mode.starts_with("any") {
        matched.any(|m| m)
    } else {
        matched.all(|m| m)
    }
}

/// Equality across the string types (a header set as a long string matches a binding
/// argument given as a short one); a void argument matches any value, as RabbitMQ does.
fn same_value(wanted: &AMQPValue, got: &AMQPValue) -> bool {
    let text = |v: &AMQPValue| match v {
        AMQPValue::LongString(s) => Some(s.to_string()),
        AMQPValue::ShortString(s) => Some(s.to_string()),
        _ => None,
    };
    match (wanted, text(wanted), text(got)) {
        (AMQPValue::Void, _, _) => true,
        (_, Some(a), Some(b)) => a == b,
        _ => wanted == got,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns_match_as_rabbitmq_does() {
        let cases = [
            ("order.*", "order.created", true),
            ("order.*", "order.created.eu", false),
            ("order.#", "order", true),
            ("order.#", "order.created.eu", true),
            ("#", "", true),
            ("#", "anything.at.all", true),
            ("*.created", "order.created", true),
            ("*.created", "created", false),
            ("#.eu", "order.created.eu", true),
            ("order.#.eu", "order.eu", true),
            ("a.*.#", "a", false),
            ("a.*.#", "a.b", true),
            ("order.created", "order.created", true),
            ("order.created", "order.deleted", false),
        ];
        for (pattern, key, expected) in cases {
            assert_eq!(topic_matches(pattern, key), expected, "{pattern} vs {key}");
        }
    }

    fn table(pairs: &[(&str, &str)]) -> FieldTable {
        let mut t = FieldTable::default();
        for (k, v) in pairs {
            t.insert((*k).into(), AMQPValue::LongString((*v).into()));
        }
        t
    }

    #[test]
    fn header_bindings_match_all_or_any() {
        let all = table(&[("format", "pdf"), ("type", "report")]);
        let any = table(&[("x-match", "any"), ("format", "pdf"), ("type", "report")]);
        let pdf_report = table(&[("format", "pdf"), ("type", "report"), ("extra", "1")]);
        let pdf_log = table(&[("format", "pdf"), ("type", "log")]);
        assert!(headers_match(&all, Some(&pdf_report)));
        assert!(!headers_match(&all, Some(&pdf_log)));
        assert!(headers_match(&any, Some(&pdf_log)));
        assert!(!headers_match(&any, None));
        let mut short = FieldTable::default();
        short.insert("format".into(), AMQPValue::ShortString("pdf".into()));
        assert!(
            headers_match(&short, Some(&pdf_log)),
            "string types compare by text"
        );
    }
}
