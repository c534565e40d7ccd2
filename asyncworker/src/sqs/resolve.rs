//! How an SQS route's options resolve: deployment overrides (queues, bulk options), the checks
//! they need at runtime (queue names from the environment), and the one-line `describe`.

use super::client::is_url;
use super::def::{SqsOptions, SqsRouteDef};
use crate::bulk::BulkOptions;
use crate::registry::RouteProblem;
use crate::settings::Settings;

/// A route's options after deployment overrides.
pub(crate) struct Resolved {
    pub(crate) def: &'static SqsRouteDef,
    pub(crate) options: SqsOptions,
    /// The bulk options, with the deployment's overrides.
    pub(crate) bulk: BulkOptions,
    /// The queues (names or URLs), with the deployment's override.
    pub(crate) queues: Vec<String>,
}

impl Resolved {
    pub(crate) fn new(
        def: &'static SqsRouteDef,
        settings: &Settings,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, Vec<RouteProblem>> {
        let problems = |p: Vec<String>| -> Vec<RouteProblem> {
            p.into_iter().map(|m| RouteProblem::of(def, m)).collect()
        };
        let over = crate::settings::route_override(def.name, settings, lookup).map_err(problems)?;
        let mut bad = Vec::new();
        if over.prefetch.is_some() {
            bad.push("a prefetch override does not apply to SQS routes (a receive takes at most 10 messages; bulk_size and concurrency set how many are held)".to_owned());
        }
        if over.max_redeliveries.is_some() {
            bad.push("a max_redeliveries override does not apply to SQS routes (use retries, or the queue's redrive policy)".to_owned());
        }
        let queues = match over.queues.clone() {
            Some(q) => q,
            None => def.queues.iter().map(|q| (*q).to_owned()).collect(),
        };
        for q in &queues {
            if let Err(e) = valid_queue(q) {
                bad.push(e);
            }
        }
        if let Some(d) = def.options.dead_letter
            && queues.iter().any(|q| q == d)
        {
            bad.push(format!(
                "consumes its own dead-letter queue `{d}`: dead-lettered messages would loop"
            ));
        }
        if !bad.is_empty() {
            return Err(problems(bad));
        }
        Ok(Resolved {
            def,
            options: def.options,
            bulk: def.options.bulk().with_override(&over),
            queues,
        })
    }

    /// A one-line summary for `--routes` and the startup log.
    pub(crate) fn describe(&self) -> String {
        let o = &self.options;
        let b = &self.bulk;
        let mut s = format!(
            "sqs   {:<20} queues={:?} bulk_size={} bulk_flush={}ms concurrency={} wait_time={}s visibility_timeout={}s on_success={} on_exception={} on_decode_error={}",
            self.def.name,
            self.queues,
            b.bulk_size,
            b.bulk_flush_ms,
            b.concurrency,
            o.wait_time_s,
            o.visibility_timeout_s,
            o.on_success.as_str(),
            o.on_exception.as_str(),
            o.on_decode_error.as_str(),
        );
        if let Some(ms) = b.timeout_ms {
            s.push_str(&format!(" timeout={ms}ms"));
        }
        if o.retries > 0 {
            let delays: Vec<String> = (1..=u32::from(o.retries))
                .filter_map(|a| o.retry_delay_after(a))
                .map(|d| format!("{}s", d.as_millis().div_ceil(1000)))
                .collect();
            s.push_str(&format!(" retries={} retry_delay={delays:?}", o.retries));
        }
        if let Some(d) = o.dead_letter {
            s.push_str(&format!(" dead_letter={d:?}"));
        }
        s
    }
}

/// A queue name SQS accepts (1 to 80 letters, digits, `-` and `_`, `.fifo` included), or a
/// queue URL; the macro checks the attribute's, this the environment's.
pub(crate) fn valid_queue(queue: &str) -> Result<(), String> {
    if is_url(queue) {
        let rest = queue.split_once("://").map_or("", |(_, r)| r);
        return match rest.split_once('/') {
            Some((host, path)) if !host.is_empty() && !path.is_empty() => Ok(()),
            _ => Err(format!(
                "queue URL {queue:?} has no host or no path (https://sqs.<region>.amazonaws.com/<account>/<queue>)"
            )),
        };
    }
    let base = queue.strip_suffix(".fifo").unwrap_or(queue);
    let valid = !base.is_empty()
        && queue.len() <= 80
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "queue name {queue:?} is not one SQS accepts: 1 to 80 letters, digits, `-` and `_`, optionally ending in `.fifo`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_and_urls() {
        assert!(valid_queue("orders").is_ok());
        assert!(valid_queue("orders-1_b.fifo").is_ok());
        assert!(valid_queue("http://127.0.0.1:4566/000000000000/orders").is_ok());
        assert!(valid_queue("").is_err());
        assert!(valid_queue(".fifo").is_err());
        assert!(valid_queue("a b").is_err());
        assert!(valid_queue(&"a".repeat(81)).is_err());
        assert!(valid_queue("http://host").is_err());
    }

    #[test]
    fn retry_delays_per_attempt() {
        let mut o = SqsOptions::DEFAULT;
        o.retries = 3;
        o.retry_delays_ms = &[1000, 30_000];
        let d = |a| o.retry_delay_after(a).map(|d| d.as_millis());
        assert_eq!(
            (d(1), d(2), d(3), d(4)),
            (Some(1000), Some(30_000), Some(30_000), None)
        );
    }
}
