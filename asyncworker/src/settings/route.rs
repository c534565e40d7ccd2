//! Per-route deployment overrides: `RouteOverride` and the `ASYNCWORKER_ROUTE_<NAME>_<OPTION>` variables.

use std::time::Duration;

use super::{Settings, parse_duration};

/// Deployment-time changes to one route's options, without recompiling.
///
/// ```
/// use asyncworker::{RouteOverride, Settings};
///
/// let mut settings = Settings::default();
/// settings.routes.insert("drain".into(), RouteOverride {
///     queues: Some(vec!["orders-staging".into()]),
///     bulk_size: Some(500),
///     ..RouteOverride::default()
/// });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteOverride {
    /// Replaces the queue list (`_QUEUES`, comma-separated).
    pub queues: Option<Vec<String>>,
    /// Replaces `bulk_size` (`_BULK_SIZE`); only for handlers taking `Vec<Message<T>>`.
    pub bulk_size: Option<u16>,
    /// Replaces `bulk_flush` (`_BULK_FLUSH`, e.g. `250ms`).
    pub bulk_flush: Option<Duration>,
    /// Replaces `prefetch` (`_PREFETCH`).
    pub prefetch: Option<u16>,
    /// Replaces `concurrency` (`_CONCURRENCY`).
    pub concurrency: Option<u16>,
}

/// `ASYNCWORKER_ROUTE_<NAME>_<KEY>`: the route name upper-cased, anything but letters and
/// digits as `_`.
pub(crate) fn route_var(route: &str, key: &str) -> String {
    let name: String = route
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("ASYNCWORKER_ROUTE_{name}_{key}")
}

/// A route's deployment overrides: `ASYNCWORKER_ROUTE_<NAME>_{QUEUES,BULK_SIZE,BULK_FLUSH,
/// PREFETCH,CONCURRENCY}` from the environment, then [`Settings::routes`] (set in code) on top.
/// Every bad value is reported, naming the variable.
pub(crate) fn route_override(
    route: &str,
    settings: &Settings,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<RouteOverride, Vec<String>> {
    let mut problems = Vec::new();
    let mut over = RouteOverride::default();
    let bad = |key: &str, v: &str, expected: &str| {
        format!(
            "invalid value {v:?} for {}: expected {expected}",
            route_var(route, key)
        )
    };
    if let Some(v) = lookup(&route_var(route, "QUEUES")) {
        over.queues = Some(v.split(',').map(|q| q.trim().to_owned()).collect());
    }
    for (key, slot) in [
        ("BULK_SIZE", &mut over.bulk_size),
        ("PREFETCH", &mut over.prefetch),
        ("CONCURRENCY", &mut over.concurrency),
    ] {
        if let Some(v) = lookup(&route_var(route, key)) {
            match v.trim().parse::<u16>() {
                Ok(n) if n > 0 => *slot = Some(n),
                _ => problems.push(bad(key, &v, "an integer from 1 to 65535")),
            }
        }
    }
    if let Some(v) = lookup(&route_var(route, "BULK_FLUSH")) {
        match parse_duration(&v) {
            Some(d) if !d.is_zero() => over.bulk_flush = Some(d),
            _ => problems.push(bad(
                "BULK_FLUSH",
                &v,
                "a duration such as \"250ms\" or \"1s\"",
            )),
        }
    }
    if let Some(code) = settings.routes.get(route) {
        let c = code.clone();
        over.queues = c.queues.or(over.queues);
        over.bulk_size = c.bulk_size.or(over.bulk_size);
        over.bulk_flush = c.bulk_flush.or(over.bulk_flush);
        over.prefetch = c.prefetch.or(over.prefetch);
        over.concurrency = c.concurrency.or(over.concurrency);
    }
    if problems.is_empty() {
        Ok(over)
    } else {
        Err(problems)
    }
}
