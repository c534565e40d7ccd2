//! Duration literals such as `"250ms"` or `"1m30s"`, resolved at compile time.

use std::ops::RangeInclusive;

use syn::LitStr;

/// Milliseconds of a duration string argument (`bulk_flush = "1s"`), which must be positive.
pub(crate) fn millis(key: &str, lit: &LitStr) -> syn::Result<u64> {
    match parse_millis(&lit.value()) {
        Some(0) => Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must be greater than zero"),
        )),
        Some(ms) => Ok(ms),
        None => Err(invalid(lit)),
    }
}

/// Seconds of a duration string argument that a remote API counts in whole seconds, within
/// `range` (`"20s"`, `"1m"` and `"1000ms"` are fine; `"1500ms"` is not). `rule` is the message
/// for any value outside it, and says what is accepted and why.
pub(crate) fn whole_seconds(
    lit: &LitStr,
    range: RangeInclusive<u64>,
    rule: &str,
) -> syn::Result<u64> {
    let ms = parse_millis(&lit.value()).ok_or_else(|| invalid(lit))?;
    let seconds = ms / 1_000;
    if ms % 1_000 == 0 && range.contains(&seconds) {
        Ok(seconds)
    } else {
        Err(syn::Error::new(lit.span(), rule))
    }
}

fn invalid(lit: &LitStr) -> syn::Error {
    syn::Error::new(
        lit.span(),
        format!(
            "invalid duration `{}`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"",
            lit.value()
        ),
    )
}

/// One or more `<integer><unit>` segments; `None` for anything else, including overflow.
fn parse_millis(text: &str) -> Option<u64> {
    let mut rest = text;
    let mut total: u64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let value: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let per_unit: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(value.checked_mul(per_unit)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_segments() {
        assert_eq!(parse_millis("250ms"), Some(250));
        assert_eq!(parse_millis("1s"), Some(1_000));
        assert_eq!(parse_millis("2m"), Some(120_000));
        assert_eq!(parse_millis("1h30m"), Some(5_400_000));
        assert_eq!(parse_millis("1m30s"), Some(90_000));
        assert_eq!(parse_millis("1s500ms"), Some(1_500));
        assert_eq!(parse_millis("0s"), Some(0));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "1",
            "s",
            "1 s",
            " 1s",
            "1s ",
            "1sec",
            "1.5s",
            "-1s",
            "1S",
            "1d",
            "ms1",
            "99999999999999999999s",
            "18446744073709551615h",
        ] {
            assert_eq!(parse_millis(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn messages_point_at_the_literal() {
        let lit: LitStr = syn::parse_quote!("10x");
        let err = millis("timeout", &lit).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid duration `10x`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\""
        );
        let lit: LitStr = syn::parse_quote!("0ms");
        let err = millis("bulk_flush", &lit).unwrap_err();
        assert_eq!(err.to_string(), "`bulk_flush` must be greater than zero");
        let lit: LitStr = syn::parse_quote!("1m30s");
        assert_eq!(millis("timeout", &lit).unwrap(), 90_000);
    }

    #[test]
    fn whole_seconds_within_a_range() {
        let seconds = |text: &str| {
            let lit = LitStr::new(text, proc_macro2::Span::call_site());
            whole_seconds(&lit, 0..=20, "rule").map_err(|err| err.to_string())
        };
        assert_eq!(seconds("0s"), Ok(0));
        assert_eq!(seconds("0ms"), Ok(0));
        assert_eq!(seconds("20s"), Ok(20));
        assert_eq!(seconds("1000ms"), Ok(1));
        assert_eq!(seconds("10s1000ms"), Ok(11));
        for outside in ["21s", "1m", "1500ms", "999ms"] {
            assert_eq!(seconds(outside), Err("rule".to_owned()), "{outside}");
        }
        assert_eq!(
            seconds("20"),
            Err("invalid duration `20`: use e.g. \"500ms\", \"1s\", \"2m\", \"1h30m\"".to_owned())
        );
    }
}
