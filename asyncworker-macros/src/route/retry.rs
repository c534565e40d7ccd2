//! The retry policy of a queue consumer (AMQP, SQS): `retries = N` delayed retries after the
//! first failure, and `retry_delay`, one delay or one per tier, with the rules tying them to
//! each other and to `dead_letter`. What one delay may be is the backend's question (a retry
//! queue's TTL for AMQP, a visibility timeout for SQS), so its check is passed in.

use quote::quote;
use syn::LitStr;

use super::args::{Delays, RouteArgs};
use super::emit::Options;
use crate::errors::Errors;

/// Upper bound of `retries`: far beyond any sensible retry policy, small enough that a typo
/// (`retries = 30000`) is caught.
const MAX_RETRIES: u16 = 10_000;

/// The validated policy; `None` fields were not written (or did not pass) and keep the
/// runtime's default.
#[derive(Debug, Default)]
pub(crate) struct Retry {
    pub(crate) retries: Option<u16>,
    /// The delay, or the first tier's.
    pub(crate) retry_delay_ms: Option<u64>,
    /// One delay per tier, when `retry_delay` lists more than one.
    pub(crate) retry_delays_ms: Option<Vec<u64>>,
}

/// Checks `retries` and `retry_delay`, each delay with the backend's `one_delay` (which
/// returns milliseconds), pushing every problem into `errors`.
pub(crate) fn validate(
    args: &RouteArgs,
    one_delay: &dyn Fn(&LitStr) -> syn::Result<u64>,
    errors: &mut Errors,
) -> Retry {
    let retries = retries_arg(args, errors);
    let delays = retry_delay_arg(args, retries, one_delay, errors);
    Retry {
        retries,
        retry_delay_ms: delays.as_ref().and_then(|d| d.first().copied()),
        retry_delays_ms: delays.filter(|d| d.len() > 1),
    }
}

impl Retry {
    /// Adds the policy written to the backend's options literal.
    pub(crate) fn emit(&self, options: &mut Options) {
        options
            .set("retries", self.retries)
            .set("retry_delay_ms", self.retry_delay_ms)
            .set(
                "retry_delays_ms",
                self.retry_delays_ms.as_ref().map(|d| quote!(&[#(#d),*])),
            );
    }
}

/// `retries = N`, `0..=10000`: N delayed retries after the first failure, so the handler sees a
/// message at most N + 1 times. `0` only makes sense with `dead_letter` (straight to parking).
fn retries_arg(args: &RouteArgs, errors: &mut Errors) -> Option<u16> {
    let lit = &args.retries.as_ref()?.value;
    // Digits too large even for i128 are just "too large".
    let value = lit.base10_parse::<i128>().unwrap_or(i128::MAX);
    let result = if value < 0 {
        Err("`retries` must not be negative".to_owned())
    } else if value > i128::from(MAX_RETRIES) {
        Err(format!(
            "`retries` must be at most {MAX_RETRIES} (delayed retries after the first failure)"
        ))
    } else if value == 0 && !args.given("dead_letter") {
        Err(
            "`retries = 0` does nothing without `dead_letter`: use `retries = N` for N delayed \
             retries, or add `dead_letter = \"...\"` to park a failed message at once"
                .to_owned(),
        )
    } else {
        // In range, checked just above.
        Ok(u16::try_from(value).unwrap_or(MAX_RETRIES))
    };
    errors.ok(result.map_err(|message| syn::Error::new(lit.span(), message)))
}

/// `retry_delay = "10s"`, or `["1s", "30s", "5m"]`: the wait before a retry, or each tier's
/// (attempt n waits in tier min(n, tiers)), growing from tier to tier; it means something only
/// with `retries = N`, N ≥ 1, and N ≥ the number of tiers (a tier no retry reaches is a
/// mistake). `None` when absent or wrong.
fn retry_delay_arg(
    args: &RouteArgs,
    retries: Option<u16>,
    one_delay: &dyn Fn(&LitStr) -> syn::Result<u64>,
    errors: &mut Errors,
) -> Option<Vec<u64>> {
    let arg = args.retry_delay.as_ref()?;
    if retries == Some(0) {
        errors.push(syn::Error::new(
            arg.key.span,
            "`retry_delay` does nothing with `retries = 0`",
        ));
    } else if !args.given("retries") {
        errors.push(syn::Error::new(
            arg.key.span,
            "`retry_delay` needs `retries = N`",
        ));
    }
    let lits: Vec<&LitStr> = match &arg.value {
        Delays::One(lit) => vec![lit],
        Delays::Tiers(list) => {
            if list.items.is_empty() {
                errors.push(syn::Error::new(
                    list.bracket.span.join(),
                    "`retry_delay` needs at least one delay: `[\"1s\", \"30s\"]`",
                ));
                return None;
            }
            list.items.iter().collect()
        }
    };
    tiers(&lits, retries, one_delay, errors)
}

/// The delay of each tier, if every one passes `one_delay`, is longer than the one before it and
/// is reached by some retry.
fn tiers(
    lits: &[&LitStr],
    retries: Option<u16>,
    one_delay: &dyn Fn(&LitStr) -> syn::Result<u64>,
    errors: &mut Errors,
) -> Option<Vec<u64>> {
    let mut delays: Vec<(u64, &LitStr)> = Vec::with_capacity(lits.len());
    let mut ok = true;
    for (i, lit) in lits.iter().enumerate() {
        let Some(ms) = errors.ok(one_delay(lit)) else {
            ok = false;
            continue;
        };
        if let Some(&(before, before_lit)) = delays.last()
            && ms <= before
        {
            ok = false;
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "retry delays must grow from tier to tier: `{}` is not longer than `{}` \
                     before it",
                    lit.value(),
                    before_lit.value()
                ),
            ));
        }
        if let Some(n) = retries.filter(|&n| n > 0)
            && i >= usize::from(n)
        {
            ok = false;
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "tier {} can never be used: `retries = {n}` waits in at most {n} tier(s)",
                    i + 1
                ),
            ));
        }
        delays.push((ms, lit));
    }
    ok.then(|| delays.into_iter().map(|(ms, _)| ms).collect())
}
