//! `--check` for SQS routes: every queue (and dead-letter queue) a route reads or parks in
//! exists and answers `GetQueueAttributes` with these credentials.

use std::sync::Arc;

use super::attributes::counts;
use super::client::SqsClients;
use super::resolve::Resolved;
use crate::backend::CheckLine;

/// One line per queue of each route, in order.
pub(crate) async fn check(clients: &Arc<SqsClients>, routes: Vec<&Resolved>) -> Vec<CheckLine> {
    let client = match clients.client().await {
        Ok(c) => c,
        Err(e) => {
            return routes
                .iter()
                .map(|r| CheckLine {
                    ok: false,
                    line: format!("sqs {}: {e}", r.def.name),
                })
                .collect();
        }
    };
    let mut lines = Vec::new();
    for route in routes {
        let name = route.def.name;
        let parked = route.options.dead_letter.map(|d| (d, "dead-letter queue"));
        let queues = route
            .queues
            .iter()
            .map(|q| (q.as_str(), "queue"))
            .chain(parked);
        for (queue, what) in queues {
            lines.push(match counts(clients, &client, queue).await {
                Ok(c) => CheckLine {
                    ok: true,
                    line: format!(
                        "sqs {name}: {what} `{queue}` ok ({} waiting, {} in flight)",
                        c.waiting, c.in_flight
                    ),
                },
                Err(e) => CheckLine {
                    ok: false,
                    line: format!("sqs {name}: {what} `{queue}`: {e}"),
                },
            });
        }
    }
    lines
}
