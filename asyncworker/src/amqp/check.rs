//! `--check` for AMQP routes: connect once per connection, then look at every queue a route
//! consumes, retries through or parks messages in.

use std::sync::Arc;
use std::time::Duration;

use lapin::Connection;

use super::backend::Prepared;
use super::connection::ConnectionManager;
use super::topology::{Topology, inspect};
use crate::backend::CheckLine;

/// How long connecting may take before the check gives up on a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) async fn check(routes: &[Prepared]) -> Vec<CheckLine> {
    let mut connections: Vec<(Arc<ConnectionManager>, Result<Connection, String>)> = Vec::new();
    let mut lines = Vec::with_capacity(routes.len());
    for route in routes {
        let name = route.resolved.def.name;
        let index = match connections
            .iter()
            .position(|(m, _)| Arc::ptr_eq(m, &route.connection))
        {
            Some(i) => i,
            None => {
                let conn = tokio::time::timeout(CONNECT_TIMEOUT, route.connection.connect_once())
                    .await
                    .unwrap_or_else(|_| {
                        Err(format!(
                            "cannot connect to the broker within {CONNECT_TIMEOUT:?}"
                        ))
                    });
                connections.push((Arc::clone(&route.connection), conn));
                connections.len() - 1
            }
        };
        let line = match &connections[index].1 {
            Err(e) => CheckLine {
                ok: false,
                line: format!("amqp {name}: {e}"),
            },
            Ok(conn) => route_line(name, conn, &route.topologies).await,
        };
        lines.push(line);
    }
    for (_, conn) in connections {
        if let Ok(c) = conn {
            let _ = c.close(200, "check done".into()).await;
        }
    }
    lines
}

async fn route_line(name: &str, conn: &Connection, topologies: &[Arc<Topology>]) -> CheckLine {
    let mut ok = true;
    let mut parts = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for topology in topologies {
        for q in &topology.queues {
            // Several queues of a route share one parking queue: report it once.
            if seen.contains(&q.name.as_str()) {
                continue;
            }
            seen.push(&q.name);
            match inspect(conn, &q.name).await {
                Ok(Some((ready, consumers))) => parts.push(format!(
                    "{} `{}` exists ({ready} ready, {consumers} consumers)",
                    q.role, q.name
                )),
                Ok(None) if topology.declare => {
                    parts.push(format!(
                        "{} `{}` missing, declared at start",
                        q.role, q.name
                    ));
                }
                Ok(None) => {
                    ok = false;
                    parts.push(format!(
                        "{} `{}` MISSING (create it, or set declare = true)",
                        q.role, q.name
                    ));
                }
                Err(e) => {
                    ok = false;
                    parts.push(e);
                }
            }
        }
    }
    CheckLine {
        ok,
        line: format!("amqp {name}: {}", parts.join("; ")),
    }
}
