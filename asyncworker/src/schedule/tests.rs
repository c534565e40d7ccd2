//! Schedules without a clock: next fire times and `--check` lines at fixed instants.

use chrono::TimeZone;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::backend::Prepared;
use super::clock::{Ticker, next_fire};
use super::def::{ScheduleFactory, ScheduleOptions, ScheduleRouteDef, Trigger, schedule_factory};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn next(expr: &str, after: DateTime<Utc>) -> DateTime<Utc> {
    let schedule = cron::Schedule::from_str(expr).unwrap();
    next_fire(&schedule, after).unwrap()
}

#[test]
fn every_five_minutes_crosses_the_hour() {
    let expr = "0 */5 * * * *";
    assert_eq!(
        next(expr, at(2026, 1, 1, 10, 57, 30)),
        at(2026, 1, 1, 11, 0, 0)
    );
    assert_eq!(
        next(expr, at(2026, 1, 1, 11, 0, 0)),
        at(2026, 1, 1, 11, 5, 0)
    );
    assert_eq!(
        next(expr, at(2026, 1, 1, 11, 4, 59)),
        at(2026, 1, 1, 11, 5, 0)
    );
}

#[test]
fn every_second_crosses_the_minute() {
    let expr = "* * * * * *";
    assert_eq!(
        next(expr, at(2026, 1, 1, 10, 59, 59)),
        at(2026, 1, 1, 11, 0, 0)
    );
    assert_eq!(
        next(expr, at(2026, 1, 1, 10, 0, 0)),
        at(2026, 1, 1, 10, 0, 1)
    );
}

#[test]
fn hourly_and_daily_cross_the_day() {
    assert_eq!(
        next("0 0 * * * *", at(2026, 1, 1, 23, 30, 0)),
        at(2026, 1, 2, 0, 0, 0)
    );
    assert_eq!(
        next("30 15 2 * * *", at(2026, 12, 31, 2, 15, 30)),
        at(2027, 1, 1, 2, 15, 30)
    );
    assert_eq!(
        next("0 59 * * * *", at(2026, 1, 1, 10, 59, 0)),
        at(2026, 1, 1, 11, 59, 0)
    );
}

async fn job() {}

fn factory() -> ScheduleFactory {
    schedule_factory(job)
}

/// A prepared route as `prepare` builds it, for `def`.
fn prepared(def: &'static ScheduleRouteDef) -> Prepared {
    let ticker = match def.trigger {
        Trigger::Every(ms) => Ticker::Every(Duration::from_millis(ms)),
        Trigger::Cron(expr) => Ticker::Cron(Box::new(cron::Schedule::from_str(expr).unwrap())),
    };
    Prepared {
        def,
        ticker,
        factory: factory(),
    }
}

const fn def(name: &'static str, trigger: Trigger, immediately: bool) -> ScheduleRouteDef {
    ScheduleRouteDef {
        name,
        module_path: "m",
        file: "f.rs",
        line: 1,
        trigger,
        options: ScheduleOptions {
            immediately,
            ..ScheduleOptions::DEFAULT
        },
        factory,
    }
}

#[test]
fn check_gives_the_next_fire_time_in_utc() {
    static EVERY: ScheduleRouteDef = def("tick", Trigger::Every(1500), false);
    static CRON: ScheduleRouteDef = def("report", Trigger::Cron("0 0 3 * * *"), true);
    let now = at(2026, 1, 1, 10, 59, 59);
    let every = prepared(&EVERY).check(now);
    assert!(every.ok);
    assert_eq!(
        every.line,
        "schedule tick: every=1500ms, next fire at 2026-01-01T11:00:00.500Z"
    );
    let cron = prepared(&CRON).check(now);
    assert!(cron.ok);
    assert_eq!(
        cron.line,
        "schedule report: cron=\"0 0 3 * * *\", next fire at 2026-01-02T03:00:00.000Z (immediately: also runs once at start)"
    );
}

#[test]
fn check_fails_a_cron_that_never_fires_again() {
    // The optional seventh field is the year.
    static PAST: ScheduleRouteDef = def("gone", Trigger::Cron("0 0 0 1 1 * 2020"), false);
    static ONCE: ScheduleRouteDef = def("once", Trigger::Cron("0 0 0 1 1 * 2020"), true);
    let now = at(2026, 1, 1, 0, 0, 0);
    let gone = prepared(&PAST).check(now);
    assert!(!gone.ok);
    assert!(
        gone.line
            .ends_with("no future fire time: the job would never run"),
        "{}",
        gone.line
    );
    // `immediately` still runs it once, at start.
    assert!(prepared(&ONCE).check(now).ok);
}

#[test]
fn consecutive_fires_are_in_order() {
    let schedule = cron::Schedule::from_str("0 0,30 * * * *").unwrap();
    let fires: Vec<_> = schedule.after(&at(2026, 3, 1, 9, 45, 0)).take(3).collect();
    assert_eq!(
        fires,
        vec![
            at(2026, 3, 1, 10, 0, 0),
            at(2026, 3, 1, 10, 30, 0),
            at(2026, 3, 1, 11, 0, 0)
        ]
    );
}
