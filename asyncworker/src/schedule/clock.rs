//! When a schedule fires: the resolved trigger ([`Ticker`]) and the waits between fires
//! ([`Clock`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::crontab::Crontab;

/// A route's trigger, resolved: a period, or a parsed cron expression with its zone.
pub(crate) enum Ticker {
    Every(Duration),
    Cron(Box<Crontab>),
}

/// The wait before each tick of one running schedule.
pub(crate) enum Clock {
    /// A fixed rate from start; ticks missed while the runtime was busy are skipped, not
    /// bunched up. The wall time of the start maps the planned instants to run keys.
    Every(Interval, Instant, DateTime<Utc>),
    /// A fixed rate at the multiples of the period (in milliseconds since the Unix epoch), so
    /// that every replica of a singleton plans the same instants; the last one fired, so a
    /// timer that wakes a little early does not fire it twice.
    Aligned(u64, Option<i64>),
    /// The next fire time is computed afresh at each tick from the wall clock, so a clock
    /// change or a slow run never shifts later fires; never at or before the last one, so a
    /// timer that wakes a little early does not fire it twice.
    Cron(Box<Crontab>, Option<DateTime<Utc>>),
}

impl Clock {
    /// The clock of `ticker`, starting now (its first tick is one period or fire time away);
    /// `aligned`: an `every` ticker fires at the multiples of its period since the epoch.
    pub(crate) fn start(ticker: Ticker, aligned: bool) -> Clock {
        match ticker {
            Ticker::Every(period) if aligned => {
                let ms = u64::try_from(period.as_millis()).unwrap_or(u64::MAX);
                Clock::Aligned(ms.max(1), None)
            }
            Ticker::Every(period) => {
                let start = Instant::now();
                let mut interval = tokio::time::interval_at(start + period, period);
                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                Clock::Every(interval, start, Utc::now())
            }
            Ticker::Cron(crontab) => Clock::Cron(crontab, None),
        }
    }

    /// Waits for the next tick and gives the instant it was planned for; `None` when the
    /// schedule has no further fire time.
    pub(crate) async fn next(&mut self) -> Option<DateTime<Utc>> {
        match self {
            Clock::Every(interval, start, wall) => {
                let at = interval.tick().await;
                let since = chrono::Duration::from_std(at - *start).unwrap_or_default();
                Some(*wall + since)
            }
            Clock::Aligned(period, last) => {
                let now = Utc::now().timestamp_millis();
                let at = next_aligned(now, *period, *last);
                let wait = u64::try_from(at - now).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(wait)).await;
                *last = Some(at);
                DateTime::from_timestamp_millis(at)
            }
            Clock::Cron(crontab, last) => {
                let after = last.map_or_else(Utc::now, |l| l.max(Utc::now()));
                let at = crontab.next_after(after)?;
                let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                tokio::time::sleep(wait).await;
                *last = Some(at);
                Some(at)
            }
        }
    }
}

/// The first multiple of `period` (milliseconds since the epoch) after `now` and after
/// `last`, the tick fired before.
pub(crate) fn next_aligned(now: i64, period: u64, last: Option<i64>) -> i64 {
    let period = i64::try_from(period).unwrap_or(i64::MAX).max(1);
    let after = last.map_or(now, |l| l.max(now));
    (after.div_euclid(period) + 1).saturating_mul(period)
}
