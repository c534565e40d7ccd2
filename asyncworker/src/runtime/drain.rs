//! `--drain`: the run ends once every drainable backend has run out of work, confirmed on two
//! consecutive polls (a message on its way between two queues, or between the broker and the
//! dispatcher, is seen by one of them).

use std::time::Duration;

use crate::backend::{Backend, DrainProbe, Drained};
use crate::registry::RouteProblem;

use super::error::WorkerError;

/// How often the probes are asked.
const POLL_EVERY: Duration = Duration::from_millis(250);

/// How often the progress is logged while work is left.
const LOG_EVERY: u32 = 20;

/// The probes of `backends`; refuses a drain with nothing to drain.
pub(super) fn probes(
    backends: &[Box<dyn Backend>],
) -> Result<Vec<Box<dyn DrainProbe>>, WorkerError> {
    let probes: Vec<_> = backends.iter().filter_map(|b| b.drain_probe()).collect();
    if probes.is_empty() {
        let kinds: Vec<&str> = backends.iter().map(|b| b.kind()).collect();
        let has = match kinds.is_empty() {
            true => "no other route runs: SSE and scheduled routes are not started by --drain"
                .to_owned(),
            false => format!("it has: {}", kinds.join(", ")),
        };
        return Err(WorkerError::Routes(vec![RouteProblem::worker(format!(
            "--drain consumes AMQP routes until their queues are empty, but this worker runs none ({has})"
        ))]));
    }
    Ok(probes)
}

/// Completes once every probe says drained on two consecutive rounds: `Ok`, time to stop;
/// `Err` as soon as a probe says its route can never drain.
pub(super) async fn until_drained(mut probes: Vec<Box<dyn DrainProbe>>) -> Result<(), String> {
    let (mut confirmed, mut round) = (false, 0u32);
    loop {
        let mut left = Vec::new();
        for probe in &mut probes {
            if let Drained::No(what) = probe.poll().await? {
                left.push(what);
            }
        }
        if left.is_empty() {
            if confirmed {
                tracing::info!("drained: every queue is empty and nothing is in flight; stopping");
                return Ok(());
            }
            confirmed = true;
        } else {
            confirmed = false;
            if round % LOG_EVERY == 0 {
                tracing::info!(left = %left.join("; "), "draining");
            }
        }
        round = round.wrapping_add(1);
        tokio::time::sleep(POLL_EVERY).await;
    }
}
