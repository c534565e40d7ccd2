//! `--drain` for SQS routes: done once no queue of theirs has a message waiting, in flight or
//! delayed.

use std::sync::Arc;

use super::attributes::counts;
use super::client::SqsClients;
use crate::backend::{DrainProbe, Drained, PollFuture};

/// The probe of the (route, queue) pairs of a worker.
pub(crate) fn probe(
    clients: Arc<SqsClients>,
    queues: Vec<(&'static str, String)>,
) -> Box<dyn DrainProbe> {
    Box::new(Probe { clients, queues })
}

struct Probe {
    clients: Arc<SqsClients>,
    queues: Vec<(&'static str, String)>,
}

impl DrainProbe for Probe {
    fn poll(&mut self) -> PollFuture<'_> {
        Box::pin(async move {
            let client = self.clients.client().await?;
            let mut left = Vec::new();
            for (route, queue) in &self.queues {
                // A queue that cannot be read now may be readable at the next poll (SQS
                // unreachable for a moment): not drained, not failed.
                match counts(&self.clients, &client, queue).await {
                    Ok(c) if c.waiting + c.in_flight + c.delayed == 0 => {}
                    Ok(c) => left.push(format!(
                        "route {route}: `{queue}` {} waiting, {} in flight, {} delayed",
                        c.waiting, c.in_flight, c.delayed
                    )),
                    Err(e) => left.push(format!("route {route}: {e}")),
                }
            }
            Ok(match left.is_empty() {
                true => Drained::Yes,
                false => Drained::No(left.join("; ")),
            })
        })
    }
}
