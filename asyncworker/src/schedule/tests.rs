//! Schedules without a clock: next fire times and `--check` lines at fixed instants.

use chrono::TimeZone;

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::backend::Prepared;
use super::clock::{Ticker, next_aligned};
use super::crontab::{Crontab, with_seconds};
use super::def::{ScheduleFactory, ScheduleOptions, ScheduleRouteDef, Trigger, schedule_factory};
use super::run_key::RunKey;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fn next(expr: &'static str, after: DateTime<Utc>) -> DateTime<Utc> {
    Crontab::parse(expr, None)
        .unwrap()
        .next_after(after)
        .unwrap()
}

/// The next `n` fire times of `expr` in `tz` after `after`, as a running schedule finds them
/// (each from the previous one).
fn fires(expr: &'static str, tz: &str, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let crontab = Crontab::parse(expr, Some(tz)).unwrap();
    let mut out: Vec<DateTime<Utc>> = Vec::new();
    let mut from = after;
    while out.len() < n {
        from = crontab.next_after(from).unwrap();
        out.push(from);
    }
    out
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
        Trigger::Cron(expr) => {
            Ticker::Cron(Box::new(Crontab::parse(expr, def.options.tz).unwrap()))
        }
    };
    Prepared {
        def,
        ticker,
        factory: factory(),
        lease_name: None,
        lease: None,
    }
}

const fn def(name: &'static str, trigger: Trigger, immediately: bool) -> ScheduleRouteDef {
    ScheduleRouteDef {
        name,
        module_path: "m",
        file: "f.rs",
        line: 1,
        doc: "",
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

#[test]
fn five_fields_are_minutes_first_with_seconds_zero() {
    assert_eq!(with_seconds(" */5 * * * * "), "0 */5 * * * *");
    assert_eq!(with_seconds("0 */5 * * * *"), "0 */5 * * * *");
    assert_eq!(
        with_seconds("0 0 12 * * Mon-Fri 2030"),
        "0 0 12 * * Mon-Fri 2030"
    );
    assert_eq!(with_seconds("@daily"), "@daily");
    // Every five minutes, on the minute.
    assert_eq!(
        next("*/5 * * * *", at(2026, 1, 1, 10, 57, 30)),
        at(2026, 1, 1, 11, 0, 0)
    );
    assert_eq!(
        next("*/5 * * * *", at(2026, 1, 1, 11, 0, 0)),
        at(2026, 1, 1, 11, 5, 0)
    );
    // 09:30 on weekdays: Friday 2 January 2026, then Monday the 5th.
    assert_eq!(
        next("30 9 * * Mon-Fri", at(2026, 1, 1, 9, 30, 0)),
        at(2026, 1, 2, 9, 30, 0)
    );
    assert_eq!(
        next("30 9 * * Mon-Fri", at(2026, 1, 2, 10, 0, 0)),
        at(2026, 1, 5, 9, 30, 0)
    );
    assert!(Crontab::parse("*/5 * * *", None).is_err());
}

#[test]
fn a_zone_shifts_the_fire_time_by_its_offset() {
    // 09:00 in Berlin is 08:00 UTC in winter (CET) and 07:00 UTC in summer (CEST).
    let winter = fires("0 9 * * *", "Europe/Berlin", at(2026, 1, 15, 12, 0, 0), 1);
    assert_eq!(winter, [at(2026, 1, 16, 8, 0, 0)]);
    let summer = fires("0 9 * * *", "Europe/Berlin", at(2026, 7, 15, 12, 0, 0), 1);
    assert_eq!(summer, [at(2026, 7, 16, 7, 0, 0)]);
    assert!(Crontab::parse("0 9 * * *", Some("Mars/Olympus")).is_err());
}

#[test]
fn the_hour_skipped_in_spring_does_not_fire() {
    // Berlin, 29 March 2026: at 02:00 CET (01:00 UTC) the clocks go to 03:00 CEST.
    let daily = fires("30 2 * * *", "Europe/Berlin", at(2026, 3, 28, 12, 0, 0), 2);
    // 02:30 does not exist on the 29th: no fire that day, the next on the 30th (CEST).
    assert_eq!(
        daily,
        [at(2026, 3, 30, 0, 30, 0), at(2026, 3, 31, 0, 30, 0)]
    );
    // Hourly at :15 through the change: 01:15 CET, then 03:15 CEST, one hour later.
    let hourly = fires("15 * * * *", "Europe/Berlin", at(2026, 3, 29, 0, 0, 0), 2);
    assert_eq!(
        hourly,
        [at(2026, 3, 29, 0, 15, 0), at(2026, 3, 29, 1, 15, 0)]
    );
}

#[test]
fn the_hour_repeated_in_autumn_fires_once() {
    // Berlin, 25 October 2026: at 03:00 CEST (01:00 UTC) the clocks go back to 02:00 CET, so
    // 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    let daily = fires("30 2 * * *", "Europe/Berlin", at(2026, 10, 24, 12, 0, 0), 2);
    assert_eq!(
        daily,
        [at(2026, 10, 25, 0, 30, 0), at(2026, 10, 26, 1, 30, 0)]
    );
    // Hourly: 02:00 local fires once (the first time), 03:00 CET next, two hours later.
    let hourly = fires("0 * * * *", "Europe/Berlin", at(2026, 10, 24, 23, 30, 0), 3);
    assert_eq!(
        hourly,
        [
            at(2026, 10, 25, 0, 0, 0),
            at(2026, 10, 25, 2, 0, 0),
            at(2026, 10, 25, 3, 0, 0)
        ]
    );
}

#[test]
fn started_inside_the_repeated_hour_nothing_fires_again_until_it_ends() {
    // 02:10 CET, the second time 02:10 is read on 25 October 2026 (01:10 UTC). The cron crate
    // alone gives 02:11 CEST, 40 minutes in the past: a schedule would fire at once, and again.
    let crontab = Crontab::parse("* * * * *", Some("Europe/Berlin")).unwrap();
    let now = at(2026, 10, 25, 1, 10, 0);
    // Every minute of 02:xx already fired in its first occurrence: the next is 03:00 CET.
    assert_eq!(crontab.next_after(now), Some(at(2026, 10, 25, 2, 0, 0)));
    // With seconds, the same: thousands of candidates stepped over, none in the past.
    let seconds = Crontab::parse("* * * * * *", Some("Europe/Berlin")).unwrap();
    assert_eq!(seconds.next_after(now), Some(at(2026, 10, 25, 2, 0, 0)));
}

#[test]
fn check_shows_the_zone_and_its_offset() {
    static BERLIN: ScheduleRouteDef = ScheduleRouteDef {
        options: ScheduleOptions {
            tz: Some("Europe/Berlin"),
            ..ScheduleOptions::DEFAULT
        },
        ..def("report", Trigger::Cron("0 9 * * Mon-Fri"), false)
    };
    let line = prepared(&BERLIN).check(at(2026, 7, 15, 12, 0, 0)).line;
    assert_eq!(
        line,
        "schedule report: cron=\"0 9 * * Mon-Fri\" tz=Europe/Berlin, next fire at 2026-07-16T09:00:00.000+02:00"
    );
}

/// A singleton's `every` ticks fall on the multiples of the period since the epoch, whatever
/// the moment a replica starts, so that every replica plans the same instants.
#[test]
fn singleton_every_ticks_are_aligned_to_the_epoch() {
    let ms = |t: DateTime<Utc>| t.timestamp_millis();
    let t0 = ms(at(2026, 12, 1, 4, 35, 0));
    // Two replicas started 300 ms apart plan the same next tick.
    assert_eq!(next_aligned(t0 + 200, 1000, None), t0 + 1000);
    assert_eq!(next_aligned(t0 + 500, 1000, None), t0 + 1000);
    // Exactly on a tick: the next one (the current instant is already past).
    assert_eq!(next_aligned(t0, 1000, None), t0 + 1000);
    // A timer that wakes early never fires the same instant twice.
    assert_eq!(next_aligned(t0 + 999, 1000, Some(t0 + 1000)), t0 + 2000);
    // A period that does not divide a minute still counts from the epoch.
    assert_eq!(next_aligned(1_000, 7_000, None), 7_000);
    assert_eq!(next_aligned(7_001, 7_000, None), 14_000);
    assert_eq!(next_aligned(0, 1, None), 1);
}

#[test]
fn run_keys_name_the_route_and_the_planned_instant() {
    let planned = at(2026, 12, 1, 4, 35, 0);
    let key = RunKey::new("tick", planned);
    assert_eq!(key.to_string(), "tick@2026-12-01T04:35:00.000Z");
    assert_eq!(key.as_str(), key.to_string());
    assert_eq!(key.route(), "tick");
    assert_eq!(key.scheduled_at(), planned);
    // Kept to the millisecond, as shown: the same instant gives the same key.
    let fine = planned + chrono::Duration::microseconds(1_500);
    let key = RunKey::new("tick", fine);
    assert_eq!(key.as_str(), "tick@2026-12-01T04:35:00.001Z");
    assert_eq!(
        key,
        RunKey::new("tick", planned + chrono::Duration::milliseconds(1))
    );
}

#[test]
fn singleton_lines_show_the_lease_and_the_aligned_tick() {
    static SINGLE: ScheduleRouteDef = ScheduleRouteDef {
        options: ScheduleOptions {
            singleton: true,
            ..ScheduleOptions::DEFAULT
        },
        ..def("tick", Trigger::Every(1500), false)
    };
    let mut route = prepared(&SINGLE);
    route.lease_name = Some(super::singleton::lease_name("billing", "tick"));
    assert!(
        route
            .describe()
            .contains(" singleton lease=asyncworker.lease.billing.tick  (f.rs:1)"),
        "{}",
        route.describe()
    );
    let check = route.check(at(2026, 1, 1, 10, 59, 59));
    assert_eq!(
        check.line,
        "schedule tick: every=1500ms singleton, next fire at 2026-01-01T11:00:00.000Z"
    );
}
