//! Per-route deployment overrides: `RouteOverride` and the `ASYNCWORKER_ROUTE_<NAME>_<OPTION>` variables.

use std::time::Duration;

use super::parse::{parse_count, parse_int, parse_nonzero_duration};
use super::{Settings, SettingsError};

/// Deployment-time changes to one route's options, without recompiling.
///
/// ```
/// use asyncworker::Settings;
/// use asyncworker::settings::RouteOverride;
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
    /// Replaces `max_redeliveries` (`_MAX_REDELIVERIES`; 0 turns the poison guard off).
    pub max_redeliveries: Option<u16>,
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
/// PREFETCH,CONCURRENCY,MAX_REDELIVERIES}` from the environment, then [`Settings::routes`] (set in code) on top.
/// Every bad value is reported, naming the variable.
pub(crate) fn route_override(
    route: &str,
    settings: &Settings,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<RouteOverride, Vec<String>> {
    let mut env = RouteEnv {
        route,
        lookup,
        problems: Vec::new(),
    };
    // Struct fields are evaluated as written: this is the order the problems are reported in.
    let from_env = RouteOverride {
        queues: env.read("QUEUES", queue_list, "queue names"),
        bulk_size: env.read("BULK_SIZE", parse_count, COUNT),
        prefetch: env.read("PREFETCH", parse_count, COUNT),
        concurrency: env.read("CONCURRENCY", parse_count, COUNT),
        bulk_flush: env.read(
            "BULK_FLUSH",
            parse_nonzero_duration,
            "a duration such as \"250ms\" or \"1s\"",
        ),
        max_redeliveries: env.read(
            "MAX_REDELIVERIES",
            parse_int,
            "an integer from 0 (off) to 65535",
        ),
    };
    if !env.problems.is_empty() {
        return Err(env.problems);
    }
    Ok(match settings.routes.get(route) {
        Some(code) => code.clone().or(from_env),
        None => from_env,
    })
}

/// What the three counts accept.
const COUNT: &str = "an integer from 1 to 65535";

/// The queue names of `_QUEUES`. Unlike [`parse_list`](super::parse::parse_list), empty names
/// are kept, so that the route's own check reports them rather than silently dropping them;
/// this parser refuses nothing.
fn queue_list(text: &str) -> Option<Vec<String>> {
    Some(text.split(',').map(|q| q.trim().to_owned()).collect())
}

impl RouteOverride {
    /// Each option of `self` where set, else the one of `fallback`.
    fn or(self, fallback: RouteOverride) -> RouteOverride {
        RouteOverride {
            queues: self.queues.or(fallback.queues),
            bulk_size: self.bulk_size.or(fallback.bulk_size),
            bulk_flush: self.bulk_flush.or(fallback.bulk_flush),
            prefetch: self.prefetch.or(fallback.prefetch),
            concurrency: self.concurrency.or(fallback.concurrency),
            max_redeliveries: self.max_redeliveries.or(fallback.max_redeliveries),
        }
    }
}

/// One route's variables, read one at a time; bad values are collected, not returned at the
/// first, so that one start reports all of them.
struct RouteEnv<'a> {
    route: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl RouteEnv<'_> {
    /// The value of `ASYNCWORKER_ROUTE_<NAME>_<key>`, parsed; `None` when unset or refused.
    fn read<T>(
        &mut self,
        key: &str,
        parse: fn(&str) -> Option<T>,
        expected: &'static str,
    ) -> Option<T> {
        let var = route_var(self.route, key);
        let value = (self.lookup)(&var)?;
        let parsed = parse(&value);
        if parsed.is_none() {
            let problem = SettingsError::new(var, value, expected);
            self.problems.push(problem.to_string());
        }
        parsed
    }
}
