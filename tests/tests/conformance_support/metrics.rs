//! Reading the worker's Prometheus text: how many settlements, retries and flushes it counted.

use std::collections::BTreeMap;

/// The samples of `family` (e.g. `asyncworker_messages_total`) as (labels, value).
pub fn samples(text: &str, family: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(family)?.strip_prefix('{')?;
            let (labels, value) = rest.split_once("} ")?;
            let labels = labels
                .split(',')
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_owned(), v.trim_matches('"').to_owned()))
                })
                .collect();
            Some((labels, value.trim().parse().ok()?))
        })
        .collect()
}

/// The sum of `family`'s samples whose labels include every pair of `with`.
pub fn sum(text: &str, family: &str, with: &[(&str, &str)]) -> u64 {
    let total: f64 = samples(text, family)
        .iter()
        .filter(|(labels, _)| {
            with.iter()
                .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, v)| v)
        .sum();
    total as u64
}

/// Bulks handed over, per (route, reason).
pub fn flushes(text: &str) -> BTreeMap<(String, String), u64> {
    samples(text, "asyncworker_bulk_flushes_total")
        .into_iter()
        .map(|(labels, v)| {
            let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
            ((get("route"), get("reason")), v as u64)
        })
        .collect()
}
