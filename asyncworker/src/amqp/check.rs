//! `--check` for AMQP routes: connect once per connection, then look at every queue a route
//! consumes, retries through or parks messages in.

use std::sync::Arc;
use std::time::Duration;

use lapin::Connection;

use super::connection::ConnectionManager;
use super::topology::{
    Declared, ExchangeSpec, QueueSpec, Topology, equivalent, exchange_exists, inspect,
};
use crate::backend::CheckLine;

/// How long connecting may take before the check gives up on a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What `--check` looks at for one route.
pub(crate) struct CheckTarget<'a> {
    pub(crate) route: &'static str,
    /// Shared by the routes on the same (connection, vhost): connected to once.
    pub(crate) connection: &'a Arc<ConnectionManager>,
    pub(crate) topologies: &'a [Arc<Topology>],
}

/// One line per target, in order.
pub(crate) async fn check(targets: Vec<CheckTarget<'_>>) -> Vec<CheckLine> {
    let mut connections: Vec<(&Arc<ConnectionManager>, Result<Connection, String>)> = Vec::new();
    let mut lines = Vec::with_capacity(targets.len());
    for target in &targets {
        let known = connections
            .iter()
            .position(|(m, _)| Arc::ptr_eq(m, target.connection));
        let index = match known {
            Some(i) => i,
            None => {
                connections.push((target.connection, connect(target.connection).await));
                connections.len() - 1
            }
        };
        lines.push(match &connections[index].1 {
            Err(e) => CheckLine {
                ok: false,
                line: format!("amqp {}: {e}", target.route),
            },
            Ok(conn) => route_line(target.route, conn, target.topologies).await,
        });
    }
    for (_, conn) in connections {
        if let Ok(c) = conn {
            let _ = c.close(200, "check done".into()).await;
        }
    }
    lines
}

/// One connection for the check, given up on after [`CONNECT_TIMEOUT`].
async fn connect(manager: &ConnectionManager) -> Result<Connection, String> {
    tokio::time::timeout(CONNECT_TIMEOUT, manager.connect_once())
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "cannot connect to the broker within {CONNECT_TIMEOUT:?}"
            ))
        })
}

/// The line of route `name`: every queue of its topologies, each once.
async fn route_line(name: &str, conn: &Connection, topologies: &[Arc<Topology>]) -> CheckLine {
    let mut ok = true;
    let mut parts = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for topology in topologies {
        for e in &topology.exchanges {
            if seen.contains(&e.name.as_str()) {
                continue;
            }
            seen.push(&e.name);
            let (fine, part) = exchange_part(conn, e).await;
            ok &= fine;
            parts.push(part);
        }
        for q in &topology.queues {
            // Several queues of a route share one parking queue: report it once.
            if seen.contains(&q.name.as_str()) {
                continue;
            }
            seen.push(&q.name);
            let (fine, part) = queue_part(conn, q, topology.declare).await;
            ok &= fine;
            parts.push(part);
        }
    }
    CheckLine {
        ok,
        line: format!("amqp {name}: {}", parts.join("; ")),
    }
}

/// What the broker has of `q`, and whether the route would run with it (a missing queue is
/// fine when the route declares it; an existing one must then take the route's arguments).
async fn queue_part(conn: &Connection, q: &QueueSpec, declare: bool) -> (bool, String) {
    let (role, name) = (q.role, &q.name);
    match inspect(conn, name).await {
        Ok(Some(_)) if declare && let Err(e) = equivalent(conn, Declared::Queue(q)).await => {
            (false, e)
        }
        Ok(Some((ready, consumers))) => (
            true,
            format!("{role} `{name}` exists ({ready} ready, {consumers} consumers)"),
        ),
        Ok(None) if declare => (true, format!("{role} `{name}` missing, declared at start")),
        Ok(None) => (
            false,
            format!("{role} `{name}` MISSING (create it, or set declare = true)"),
        ),
        Err(e) => (false, e),
    }
}

/// Whether exchange `e`, which the route declares, exists, and takes the route's type.
async fn exchange_part(conn: &Connection, e: &ExchangeSpec) -> (bool, String) {
    let name = &e.name;
    match exchange_exists(conn, e).await {
        Ok(true) => match equivalent(conn, Declared::Exchange(e)).await {
            Ok(()) => (true, format!("exchange `{name}` exists ({})", e.kind)),
            Err(why) => (false, why),
        },
        Ok(false) => (
            true,
            format!("exchange `{name}` missing, declared at start"),
        ),
        Err(why) => (false, why),
    }
}
