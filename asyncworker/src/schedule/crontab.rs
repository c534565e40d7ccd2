//! Cron expressions: the forms accepted (five fields, or six or seven with seconds first), the
//! time zone they are read in, and their next fire time across daylight-saving changes.
//!
//! The `cron` crate computes fire times in any zone, but around a change it needs two fixes,
//! both in [`Crontab::next_after`]: a local time that happens twice (autumn) is yielded twice,
//! and from inside the repeated hour its first candidate lies in the past. A skipped local
//! time (spring) is already never yielded.

use std::str::FromStr;

use chrono::offset::LocalResult;
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How many candidates [`Crontab::next_after`] looks at: enough to step over every local
/// second of a two-hour repeated period twice (the largest fold in the zone database).
const MAX_CANDIDATES: usize = 4 * 3600 + 2;

/// A parsed cron expression with its time zone.
#[derive(Debug, Clone)]
pub(crate) struct Crontab {
    schedule: cron::Schedule,
    tz: Tz,
    /// As written on the route, for `--routes` and `--check`.
    source: &'static str,
}

impl Crontab {
    /// `expr` read in the IANA zone `tz` (UTC when `None`); why not, when it cannot be.
    pub(crate) fn parse(expr: &'static str, tz: Option<&str>) -> Result<Crontab, String> {
        let schedule = cron::Schedule::from_str(&with_seconds(expr))
            .map_err(|e| format!("invalid cron expression {expr:?}: {e}"))?;
        let tz = match tz {
            None => Tz::UTC,
            Some(name) => name
                .parse::<Tz>()
                .map_err(|_| format!("unknown time zone {name:?}"))?,
        };
        Ok(Crontab {
            schedule,
            tz,
            source: expr,
        })
    }

    /// `cron="*/5 * * * *"`, with ` tz=Europe/Berlin` when not UTC.
    pub(crate) fn describe(&self) -> String {
        match self.tz {
            Tz::UTC => format!("cron={:?}", self.source),
            tz => format!("cron={:?} tz={}", self.source, tz.name()),
        }
    }

    /// The zone the expression is read in.
    pub(crate) fn tz(&self) -> Tz {
        self.tz
    }

    /// The first fire time strictly after `after`. A local time that does not exist (the hour
    /// skipped in spring) never fires; one that exists twice (the hour repeated in autumn)
    /// fires once, at its first occurrence: from inside the repeated hour, the rest of it is
    /// stepped over rather than fired again.
    pub(crate) fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule
            .after(&after.with_timezone(&self.tz))
            .take(MAX_CANDIDATES)
            .find(|t| t.with_timezone(&Utc) > after && !self.repeats(t))
            .map(|t| t.with_timezone(&Utc))
    }

    /// Whether `t` is the second occurrence of its local time.
    fn repeats(&self, t: &DateTime<Tz>) -> bool {
        matches!(
            self.tz.from_local_datetime(&t.naive_local()),
            LocalResult::Ambiguous(first, _) if first != *t
        )
    }
}

/// A five-field crontab expression (minute precision) with seconds = 0 in front; six and seven
/// fields (and `@daily`-style shorthands) as written. The macros crate, which checks the
/// expression at compile time, has the same few lines (`with_seconds` in its `route/schedule.rs`).
pub(crate) fn with_seconds(expr: &str) -> String {
    let expr = expr.trim();
    if expr.split_whitespace().count() == 5 {
        format!("0 {expr}")
    } else {
        expr.to_owned()
    }
}
