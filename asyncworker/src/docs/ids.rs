//! The keys of a document's maps (channels, operations, operation ids): safe to write in a
//! `$ref`, and unique.

use serde_json::{Map, Value};

/// `text` as a key of the document's maps (letters, digits, `_` and `-`, which every tool
/// accepts, and which need no escaping in a `$ref`).
pub(crate) fn safe_id(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `prefix`, or `prefix-2`, `prefix-3`... whichever `map` does not hold yet.
pub(crate) fn free_id(map: &Map<String, Value>, prefix: &str) -> String {
    free_name(prefix, |id| map.contains_key(id))
}

/// `prefix`, or `prefix-2`, `prefix-3`... the first one not `taken`.
pub(crate) fn free_name(prefix: &str, taken: impl Fn(&str) -> bool) -> String {
    (1..)
        .map(|n| match n {
            1 => prefix.to_owned(),
            n => format!("{prefix}-{n}"),
        })
        .find(|id| !taken(id))
        .unwrap_or_default()
}
