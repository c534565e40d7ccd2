//! `#[route(every = ...)]` and `#[route(cron = ...)]`: every error at its token.

use super::*;
use crate::route::schedule::{CRON_FIELDS, with_seconds};
use crate::test_support::At;

/// The same cases as the runtime's `five_fields_are_minutes_first_with_seconds_zero`: the
/// two copies of `with_seconds` must agree.
#[test]
fn five_fields_get_seconds_zero() {
    assert_eq!(with_seconds(" */5 * * * * "), "0 */5 * * * *");
    assert_eq!(with_seconds("0 */5 * * * *"), "0 */5 * * * *");
    assert_eq!(
        with_seconds("0 0 12 * * Mon-Fri 2030"),
        "0 0 12 * * Mon-Fri 2030"
    );
    assert_eq!(with_seconds("@daily"), "@daily");
}

/// `#[route(every = ...)]` / `#[route(cron = ...)]`: every error at its token.
#[test]
fn schedule_route_checks() {
    let handler = "async fn tick(app: App) {}";
    let sched = |attr: &str, expected: &[(At, &str)]| check_with(attr, handler, expected);
    sched(
        r#"every = /*1*/"30 seconds""#,
        &[(
            At::Marker(1),
            "invalid duration `30 seconds`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
        )],
    );
    sched(
        r#"every = /*1*/"0s""#,
        &[(At::Marker(1), "`every` must be greater than zero")],
    );
    let bad = "*/5 * * *";
    let cause = <::cron::Schedule as std::str::FromStr>::from_str(bad).unwrap_err();
    sched(
        &format!(r#"cron = /*1*/"{bad}""#),
        &[(
            At::Marker(1),
            &format!(
                "invalid cron expression:\n{}\n{CRON_FIELDS}",
                cause.to_string().trim_end()
            ),
        )],
    );
    sched(
        r#"every = "1s", max_concurrency = /*1*/0, timeout = /*2*/"0ms""#,
        &[
            (At::Marker(1), "`max_concurrency` must be at least 1"),
            (At::Marker(2), "`timeout` must be greater than zero"),
        ],
    );
    sched(
        r#"cron = "* * * * * *", max_concurrency = /*1*/70000"#,
        &[(At::Marker(1), "`max_concurrency` must be at most 65535")],
    );
    sched(
        r#"every = "1s", immediately = /*1*/"yes""#,
        &[(At::Marker(1), "expected boolean literal")],
    );
    let valid = "valid arguments: every, cron, name, max_concurrency, immediately, singleton, tz, timeout, publishes";
    sched(
        r#"every = "1s", /*1*/bulk_size = 10"#,
        &[(
            At::Marker(1),
            &format!("`bulk_size` does not apply to `every` routes\n{valid}"),
        )],
    );
    sched(
        r#"cron = "* * * * * *", /*1*/immediatly = true"#,
        &[(
            At::Marker(1),
            &format!("unknown argument `immediatly`; did you mean `immediately`?\n{valid}"),
        )],
    );
    // A five-field expression is checked as the runtime reads it, with seconds = 0.
    let bad5 = "61 * * * *";
    let cause =
        <::cron::Schedule as std::str::FromStr>::from_str(&format!("0 {bad5}")).unwrap_err();
    sched(
        &format!(r#"cron = /*1*/"{bad5}""#),
        &[(
            At::Marker(1),
            &format!(
                "invalid cron expression:\n{}\n{CRON_FIELDS}",
                cause.to_string().trim_end()
            ),
        )],
    );
    // An unknown zone at its literal, with the name probably meant.
    sched(
        r#"cron = "0 9 * * *", tz = /*1*/"europe/berlin""#,
        &[(
            At::Marker(1),
            "unknown time zone `europe/berlin`; did you mean `Europe/Berlin`?",
        )],
    );
    sched(
        r#"cron = "0 9 * * *", tz = /*1*/"Berlin""#,
        &[(
            At::Marker(1),
            "unknown time zone `Berlin`; did you mean `Europe/Berlin`?",
        )],
    );
    sched(
        r#"cron = "0 9 * * *", tz = /*1*/"CEST+2""#,
        &[(
            At::Marker(1),
            "unknown time zone `CEST+2`; use an IANA name such as \"Europe/Berlin\" or \"UTC\"",
        )],
    );
    // `every` has no zone.
    sched(
        r#"every = "1h", /*1*/tz = "Europe/Berlin""#,
        &[(
            At::Marker(1),
            "`tz` applies to `cron` routes only: `every` counts from the worker's start, in no time zone",
        )],
    );
    // A singleton fires only at instants every replica agrees on.
    sched(
        r#"every = "1s", singleton = true, /*1*/immediately = true"#,
        &[(
            At::Marker(1),
            "`immediately` cannot be combined with `singleton = true`: a singleton fires only at \
             the ticks every replica agrees on (multiples of the period, or the cron times)",
        )],
    );
    sched(
        r#"every = "1s", singleton = /*1*/"yes""#,
        &[(At::Marker(1), "expected boolean literal")],
    );
    // Valid ones expand.
    for attr in [
        r#"every = "30s""#,
        r#"every = "1s", singleton = true"#,
        r#"cron = "*/5 * * * *", singleton = true, immediately = false"#,
        r#"every = "200ms", name = "tick", max_concurrency = 2, immediately = true, timeout = "1s""#,
        r#"cron = "0 */5 * * * *""#,
        r#"cron = "0 0 12 * * Mon-Fri 2030""#,
        r#"cron = "*/5 * * * *""#,
        r#"cron = "30 9 * * Mon-Fri", tz = "Europe/Berlin""#,
        r#"cron = "0 0 9 * * *", tz = "UTC""#,
    ] {
        try_expand(tokens(attr), tokens(handler))
            .unwrap_or_else(|err| panic!("`{attr}` rejected: {err}"));
    }
}
