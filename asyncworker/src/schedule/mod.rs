//! The schedule backend: `#[route(every = "30s")]` and `#[route(cron = "0 */5 * * * *")]`.
//!
//! Per route, one ticker task. At each tick a run is spawned unless `max_concurrency` runs are
//! still in flight, in which case the tick is skipped, logged and counted. A run's error,
//! panic or timeout is logged and counted and never stops the schedule. On shutdown the
//! tickers stop and the running jobs are awaited within the deadline.
//!
//! `every` ticks at a fixed rate from start (missed ticks are skipped, not bunched up);
//! `cron` expressions (five fields, minutes first, or six or seven, seconds first; in UTC or
//! the route's `tz`) are parsed by the `cron` crate, which also computes the next fire time;
//! `crontab` holds the forms and the daylight-saving rules.
//!
//! Each run gets a [`RunKey`] (route + planned instant). A `singleton = true` route fires
//! only while this replica holds its lease (`singleton`, granted by the AMQP backend's
//! `lease`); its `every` ticks fall on the multiples of the period since the epoch, so that
//! every replica plans the same instants.

mod backend;
mod clock;
mod crontab;
mod def;
pub(crate) mod handler;
mod run;
mod run_key;
pub(crate) mod singleton;
#[cfg(test)]
mod tests;

pub(crate) use backend::prepare;
#[cfg(feature = "testing")]
pub(crate) use backend::{Prepared, routes};
pub use def::{ScheduleFactory, ScheduleOptions, ScheduleRouteDef, Trigger, schedule_factory};
pub use handler::{ScheduleArg, ScheduledHandler};
pub use run_key::RunKey;

/// What the code `#[route(every = ...)]` / `#[route(cron = ...)]` generates names,
/// re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::def::{
        ScheduleFactory, ScheduleOptions, ScheduleRouteDef, Trigger, schedule_factory,
    };

    /// Compile-time check of one argument of a scheduled handler, spanned at its type by
    /// `#[route]`.
    pub fn assert_schedule_arg<T: super::handler::ScheduleArg>() {}
}
