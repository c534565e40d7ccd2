//! Parsers for setting values: text in, typed value out, `None` when the text is not one.
//!
//! The same parser serves the environment and `main!` (whose values arrive as text too), so
//! a value is accepted or refused the same way wherever it is written.

use std::time::Duration;

use super::LogFormat;

/// Parses `"500ms"`, `"30s"`, `"2m"`, `"1h30m"` or a bare number of seconds.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60)?),
            "h" => Duration::from_secs(n.checked_mul(3600)?),
            _ => return None,
        };
        total = total.checked_add(unit)?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// A [`parse_duration`] above zero: for timeouts and flush intervals, where zero would mean
/// "give up at once" rather than "never".
pub(crate) fn parse_nonzero_duration(text: &str) -> Option<Duration> {
    parse_duration(text).filter(|d| !d.is_zero())
}

/// Parses `"2097152"`, `"512KiB"`, `"2MiB"`, `"1GiB"` (also `kB`, `MB`, `GB` as powers of 1000).
pub(crate) fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits == 0 {
        return None;
    }
    let n: usize = t[..digits].parse().ok()?;
    let unit: usize = match t[digits..].trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "kB" | "KB" => 1000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// Parses `1`/`true`/`on`/`yes` and `0`/`false`/`off`/`no`.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "true" | "on" | "yes" => Some(true),
        "0" | "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// Parses an integer of any width (a port, a heartbeat), surrounding spaces allowed.
pub(crate) fn parse_int<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().parse().ok()
}

/// Parses an integer within `range` (a connection cap, an in-flight limit).
pub(crate) fn parse_in<T>(text: &str, range: std::ops::RangeInclusive<T>) -> Option<T>
where
    T: std::str::FromStr + PartialOrd,
{
    parse_int(text).filter(|n| range.contains(n))
}

/// Parses a count from 1 to 65535 (prefetch, bulk size, concurrency), where 0 would stall.
pub(crate) fn parse_count(text: &str) -> Option<u16> {
    parse_int(text).filter(|&n| n > 0)
}

/// Splits a comma-separated list, trimming each item and dropping empty ones (`"a, b,"`).
pub(crate) fn parse_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A [`parse_list`] of one or more `amqp://` or `amqps://` URLs, tried in turn (from a random
/// one: see `amqp::rotation`).
pub(crate) fn parse_amqp_urls(text: &str) -> Option<Vec<String>> {
    let urls = parse_list(text);
    let valid = !urls.is_empty() && urls.iter().all(|u| u.starts_with("amqp"));
    valid.then_some(urls)
}

/// Any text, kept as written: for values only their user can judge (a queue prefix, a filter).
pub(crate) fn parse_text(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// An application name: not empty, no whitespace or control characters, at most
/// [`APP_NAME_MAX`](super::values::APP_NAME_MAX) bytes.
pub(crate) fn parse_app_name(text: &str) -> Option<String> {
    let ok = !text.is_empty()
        && text.len() <= super::values::APP_NAME_MAX
        && text.chars().all(super::values::app_name_char);
    ok.then(|| text.to_owned())
}

/// A path to a file this process can open, kept as written: a missing or unreadable TLS file
/// is a start-up error naming its variable, not a handshake failure later.
pub(crate) fn parse_readable_file(text: &str) -> Option<String> {
    std::fs::File::open(text).is_ok().then(|| text.to_owned())
}

/// An `http://` or `https://` URL, kept as written.
pub(crate) fn parse_http_url(text: &str) -> Option<String> {
    (text.starts_with("http://") || text.starts_with("https://")).then(|| text.to_owned())
}

/// A host name or IP address: anything but blank, kept as written (the bind reports the rest).
pub(crate) fn parse_host(text: &str) -> Option<String> {
    (!text.trim().is_empty()).then(|| text.to_owned())
}

/// A fixed endpoint path: starts with `/`, and has no parameter, query, fragment or space
/// (the built-in endpoints are matched literally).
pub(crate) fn parse_endpoint_path(text: &str) -> Option<String> {
    let literal = text.starts_with('/') && !text.contains(['{', '}', '?', '#', ' ']);
    literal.then(|| text.to_owned())
}

/// Parses `pretty` or `json`.
pub(crate) fn parse_log_format(text: &str) -> Option<LogFormat> {
    match text.trim() {
        "pretty" => Some(LogFormat::Pretty),
        "json" => Some(LogFormat::Json),
        _ => None,
    }
}
