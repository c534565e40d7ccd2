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
    /// bunched up.
    Every(Interval),
    /// The next fire time is computed afresh at each tick from the wall clock, so a clock
    /// change or a slow run never shifts later fires; never at or before the last one, so a
    /// timer that wakes a little early does not fire it twice.
    Cron(Box<Crontab>, Option<DateTime<Utc>>),
}

impl Clock {
    /// The clock of `ticker`, starting now (its first tick is one period or fire time away).
    pub(crate) fn start(ticker: Ticker) -> Clock {
        match ticker {
            Ticker::Every(period) => {
                let mut interval = tokio::time::interval_at(Instant::now() + period, period);
                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                Clock::Every(interval)
            }
            Ticker::Cron(crontab) => Clock::Cron(crontab, None),
        }
    }

    /// Waits for the next tick; `false` when the schedule has no further fire time.
    pub(crate) async fn next(&mut self) -> bool {
        match self {
            Clock::Every(interval) => {
                interval.tick().await;
                true
            }
            Clock::Cron(crontab, last) => {
                let after = last.map_or_else(Utc::now, |l| l.max(Utc::now()));
                let Some(at) = crontab.next_after(after) else {
                    return false;
                };
                let wait = (at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
                tokio::time::sleep(wait).await;
                *last = Some(at);
                true
            }
        }
    }
}
