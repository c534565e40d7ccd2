//! A queue or exchange that exists with other arguments than the route declares (RabbitMQ's
//! 406 PRECONDITION_FAILED, the most common start-up failure on an existing broker), in words
//! that say which argument differs, both values, and what to do. The consumer, `--check` and
//! the in-memory broker all word it here, so they say the same thing.

use std::fmt;

#[cfg(any(test, feature = "testing"))]
use lapin::types::{AMQPValue, FieldTable};

/// One argument on which the broker and the route disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    /// "queue" or "exchange".
    pub(crate) kind: String,
    pub(crate) name: String,
    /// As the broker names it: `x-max-length`, or `type` for an exchange's type.
    pub(crate) argument: String,
    /// The route's value; `None` when the route does not set the argument.
    pub(crate) ours: Option<String>,
    /// The broker's value; `None` when the existing one does not have it.
    pub(crate) theirs: Option<String>,
}

impl Mismatch {
    /// Reads RabbitMQ's reply text, e.g. `inequivalent arg 'x-max-length' for queue 'q' in
    /// vhost '/': received none but current is the value '10' of type 'long'`, wherever it
    /// sits in a lapin error.
    pub(crate) fn parse(reply: &str) -> Option<Mismatch> {
        let rest = reply.split_once("inequivalent arg '")?.1;
        let (argument, rest) = rest.split_once("' for ")?;
        let (kind, rest) = rest.split_once(" '")?;
        let (name, rest) = rest.split_once("' in vhost '")?;
        let rest = rest.split_once("': received ")?.1;
        let (ours, theirs) = rest.split_once(" but current is ")?;
        Some(Mismatch {
            kind: kind.to_owned(),
            name: name.to_owned(),
            argument: argument.to_owned(),
            ours: value(ours),
            theirs: value(theirs),
        })
    }

    /// The first argument on which `ours` (what a route declares) and `theirs` (what exists)
    /// differ, named as RabbitMQ would; `None` when they agree. The in-memory broker's 406.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn between(
        kind: &str,
        name: &str,
        ours: &FieldTable,
        theirs: &FieldTable,
    ) -> Option<Mismatch> {
        let (ours, theirs) = (ours.inner(), theirs.inner());
        let argument = ours
            .keys()
            .chain(theirs.keys())
            .find(|k| ours.get(*k) != theirs.get(*k))?;
        Some(Mismatch {
            kind: kind.to_owned(),
            name: name.to_owned(),
            argument: argument.as_str().to_owned(),
            ours: ours.get(argument).map(render),
            theirs: theirs.get(argument).map(render),
        })
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let with = |value: &Option<String>| match value {
            Some(v) => format!("with {} = {v}", self.argument),
            None => format!("without {}", self.argument),
        };
        let remedy = if self.kind == "queue" {
            "delete the queue (its messages go with it) or change the route's options to match"
        } else {
            "delete the exchange or change the route's options to match"
        };
        write!(
            f,
            "{} `{}` exists on the broker {}, but the route declares it {}: {remedy}",
            self.kind,
            self.name,
            with(&self.theirs),
            with(&self.ours),
        )
    }
}

/// A value of the reply text: `none`, `'classic'`, or `the value '10' of type 'long'`.
fn value(text: &str) -> Option<String> {
    let text = text.trim();
    if text == "none" {
        return None;
    }
    let text = text.strip_prefix("the value ").unwrap_or(text);
    let quoted = text
        .strip_prefix('\'')
        .and_then(|t| t.split_once('\''))
        .map(|(v, _)| v);
    Some(quoted.unwrap_or(text).to_owned())
}

/// A field value as RabbitMQ's reply text shows it.
#[cfg(any(test, feature = "testing"))]
fn render(value: &AMQPValue) -> String {
    match value {
        AMQPValue::LongString(s) => s.to_string(),
        AMQPValue::ShortString(s) => s.to_string(),
        AMQPValue::LongLongInt(n) => n.to_string(),
        AMQPValue::LongInt(n) => n.to_string(),
        AMQPValue::ShortInt(n) => n.to_string(),
        AMQPValue::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amqp::field::{int, long};

    #[test]
    fn rabbitmq_reply_text_names_argument_and_both_values() {
        let reply = "protocol error: AMQP soft error: PRECONDITION-FAILED: \"PRECONDITION_FAILED - \
                     inequivalent arg 'x-max-length' for queue 'orders' in vhost '/': received \
                     none but current is the value '10' of type 'long'\"";
        let m = Mismatch::parse(reply).expect("a mismatch");
        assert_eq!(
            m,
            Mismatch {
                kind: "queue".into(),
                name: "orders".into(),
                argument: "x-max-length".into(),
                ours: None,
                theirs: Some("10".into()),
            }
        );
        assert_eq!(
            m.to_string(),
            "queue `orders` exists on the broker with x-max-length = 10, but the route declares \
             it without x-max-length: delete the queue (its messages go with it) or change the \
             route's options to match"
        );
    }

    #[test]
    fn quoted_strings_and_exchange_types_parse_too() {
        let reply = "inequivalent arg 'x-queue-type' for queue 'q' in vhost 'v': received \
                     'quorum' but current is 'classic'";
        let m = Mismatch::parse(reply).unwrap();
        assert_eq!(m.ours.as_deref(), Some("quorum"));
        assert_eq!(m.theirs.as_deref(), Some("classic"));
        let reply = "inequivalent arg 'type' for exchange 'shop' in vhost '/': received \
                     'topic' but current is 'direct'";
        let m = Mismatch::parse(reply).unwrap();
        assert_eq!((m.kind.as_str(), m.argument.as_str()), ("exchange", "type"));
        assert!(m.to_string().starts_with(
            "exchange `shop` exists on the broker with type = direct, but the route declares it \
             with type = topic"
        ));
        assert_eq!(Mismatch::parse("NOT_FOUND - no queue 'q'"), None);
    }

    #[test]
    fn tables_compare_like_the_broker() {
        let mut theirs = FieldTable::default();
        theirs.insert("x-max-length".into(), int(10));
        let ours = FieldTable::default();
        let m = Mismatch::between("queue", "orders", &ours, &theirs).unwrap();
        let parsed = Mismatch::parse(
            "inequivalent arg 'x-max-length' for queue 'orders' in vhost '/': received none \
             but current is the value '10' of type 'long'",
        );
        assert_eq!(Some(m), parsed);
        let mut same = FieldTable::default();
        same.insert("x-overflow".into(), long("drop-head"));
        assert_eq!(Mismatch::between("queue", "q", &same, &same.clone()), None);
    }
}
