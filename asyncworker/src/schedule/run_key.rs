//! `RunKey`: which run of a schedule this is (route + planned instant), for idempotent side
//! effects.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

/// The identity of one scheduled run: the route's name and the instant the tick was planned
/// for (not when it actually started), to the millisecond, such as
/// `tick@2026-12-01T04:35:00.000Z`.
///
/// A handler of an `every` or `cron` route takes it as an argument. Two runs of a route never
/// share a key, and on a `singleton = true` route every replica computes the same instants, so
/// a run repeated by a lease hand-over (see the README's "Singleton schedules") carries the same
/// key: use it as the `message_id` of what the run publishes, or as the key of what it writes,
/// and let the receiver drop the repeat.
///
/// ```no_run
/// use asyncworker::amqp::BasicProperties;
/// use asyncworker::prelude::*;
///
/// #[route(every = "1m", singleton = true)]
/// async fn report(app: App, key: RunKey) -> Result<(), asyncworker::amqp::PublishError> {
///     let props = BasicProperties::default()
///         .with_delivery_mode(2)
///         .with_message_id(key.as_str().into());
///     app.amqp().publish_raw("", "reports", b"...", props).await
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunKey {
    route: &'static str,
    scheduled_at: DateTime<Utc>,
    text: Arc<str>,
}

impl RunKey {
    /// The key of `route`'s run planned for `scheduled_at` (kept to the millisecond, as shown).
    ///
    /// ```
    /// use asyncworker::schedule::RunKey;
    ///
    /// let at = "2026-12-01T04:35:00.000Z".parse().unwrap();
    /// let key = RunKey::new("tick", at);
    /// assert_eq!(key.as_str(), "tick@2026-12-01T04:35:00.000Z");
    /// assert_eq!(key.route(), "tick");
    /// assert_eq!(key.scheduled_at(), at);
    /// ```
    pub fn new(route: &'static str, scheduled_at: DateTime<Utc>) -> RunKey {
        let millis = scheduled_at.timestamp_millis();
        let scheduled_at = DateTime::from_timestamp_millis(millis).unwrap_or(scheduled_at);
        let text = format!(
            "{route}@{}",
            scheduled_at.to_rfc3339_opts(SecondsFormat::Millis, true)
        );
        RunKey {
            route,
            scheduled_at,
            text: text.into(),
        }
    }

    /// The route's name.
    pub fn route(&self) -> &'static str {
        self.route
    }

    /// The instant the run was planned for (UTC, whole milliseconds).
    pub fn scheduled_at(&self) -> DateTime<Utc> {
        self.scheduled_at
    }

    /// `<route>@<instant>`, the instant in RFC 3339 with milliseconds, in UTC.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for RunKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
