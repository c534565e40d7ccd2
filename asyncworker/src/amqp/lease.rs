//! The leases of `singleton = true` schedules: per route, an exclusive queue
//! (`asyncworker.lease.<app>.<route>`) on one dedicated connection. The broker lets a single
//! connection declare it and deletes it when that connection dies, which hands the lease to
//! whichever replica declares it next; no other service is involved.

use std::sync::Arc;
use std::time::Duration;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ErrorKind};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::connection::ConnectionManager;
use crate::app::App;
use crate::registry::RouteProblem;
use crate::schedule::singleton::{LeaseHolder, Leases};

/// How often a standby tries to take the lease, and how often the leader confirms it still
/// holds it (each confirmation must answer within this time too). It bounds the hand-over
/// after the broker drops a dead leader's queue: a standby takes it within one interval, and
/// the new leader fires at the next tick after that.
pub(crate) const LEASE_POLL: Duration = Duration::from_millis(500);

/// How long a confirmation keeps the lease valid for the ticker: two intervals, so one slow
/// answer does not skip a tick, while a leader that stopped confirming (a frozen process)
/// stops firing within it.
const LEASE_VALID: Duration = Duration::from_millis(1000);

/// How often the leader looks at its connection and channel between confirmations: a loss
/// lapin has seen (a heartbeat missed, the socket closed) ends its leadership within this
/// time, before a standby could take over.
const STATUS_CHECK: Duration = Duration::from_millis(50);

/// The reply code of a declaration refused because another connection holds the queue.
const RESOURCE_LOCKED: u16 = 405;

/// The leases of `holders`, held by tasks on one connection to the default broker (its
/// URLs, TLS files and heartbeat), named `<app> lease`. Without lapin's recovery: a recovered
/// connection would re-declare the exclusive queue behind our back.
pub(crate) fn lease_tasks(
    app: &App,
    lookup: &dyn Fn(&str) -> Option<String>,
    holders: Vec<LeaseHolder>,
) -> Result<Leases, RouteProblem> {
    let settings = app.settings();
    let urls = settings
        .connection_urls(None, lookup)
        .map_err(RouteProblem::worker)?;
    let label = format!("{} lease", settings.app_name);
    let manager = ConnectionManager::new(&urls, None, settings.amqp_heartbeat, label)
        .and_then(|m| m.with_tls(&settings.connection_tls(None, lookup)))
        .map_err(RouteProblem::worker)?
        .without_recovery();
    let manager = Arc::new(manager);
    for holder in &holders {
        app.health()
            .register_reason(holder.part(), manager.failing());
    }
    let probe = Arc::clone(&manager);
    let check = move || -> crate::future::BoxFuture<'static, Result<(), String>> {
        let manager = Arc::clone(&probe);
        Box::pin(async move {
            let conn = manager.connect_once().await?;
            let _ = conn.close(200, "check done".into()).await;
            Ok(())
        })
    };
    let run = move |stop: CancellationToken| -> crate::future::BoxFuture<'static, ()> {
        Box::pin(async move {
            let mut tasks = JoinSet::new();
            for holder in holders {
                tasks.spawn(hold(Arc::clone(&manager), holder, stop.clone()));
            }
            while tasks.join_next().await.is_some() {}
            // Closing the connection deletes the queues it holds: a standby takes over at once.
            manager.close().await;
        })
    };
    Ok(Leases {
        check: Box::new(check),
        run: Box::new(run),
    })
}

/// One route's lease until `stop`: connect, then take or wait for the lease; on a connection
/// loss, stand by and connect again (with the connection's backoff).
async fn hold(manager: Arc<ConnectionManager>, holder: LeaseHolder, stop: CancellationToken) {
    while let Some(conn) = manager.get(&stop).await {
        holder.set_reachable(true);
        let result = contend(&conn, &holder, &stop).await;
        holder.release();
        if stop.is_cancelled() {
            return;
        }
        if let Err(error) = result {
            holder.set_reachable(false);
            tracing::warn!(lease = %holder.name, %error, "singleton: lease connection failed; standing by and reconnecting");
            // Closed, not only forgotten: a connection still alive (a confirmation that timed
            // out) would keep the exclusive queue, and the lease, from every replica.
            let bye = conn.close(200, "lease not confirmed; reconnecting".into());
            let _ = tokio::time::timeout(LEASE_POLL, bye).await;
            manager.discard(&conn);
        }
        // Not at once: a connection that fails as soon as it opens would spin.
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(LEASE_POLL) => {}
        }
    }
}

/// Takes the lease whenever it is free and keeps it while the connection lives; `Err` when the
/// connection (or anything but a 405) fails.
async fn contend(
    conn: &Connection,
    holder: &LeaseHolder,
    stop: &CancellationToken,
) -> Result<(), String> {
    loop {
        // A refused declaration closes its channel: every attempt needs a new one.
        let channel = conn.create_channel().await.map_err(|e| e.to_string())?;
        // Valid from when it was asked, not answered: the broker's "yes" is no younger.
        let asked = Instant::now();
        match declare(&channel, &holder.name).await {
            Ok(()) => {
                holder.hold_until(asked + LEASE_VALID);
                let kept = keep(conn, &channel, holder, stop).await;
                holder.release();
                kept?;
                return Ok(());
            }
            Err(e) if locked(&e) => {
                tracing::debug!(lease = %holder.name, "singleton: another replica holds the lease");
            }
            Err(e) => return Err(e.to_string()),
        }
        tokio::select! {
            () = stop.cancelled() => return Ok(()),
            () = tokio::time::sleep(LEASE_POLL) => {}
        }
    }
}

/// While this replica leads: confirms the lease every [`LEASE_POLL`] by declaring it again
/// (each within that time), and watches the connection and channel in between. Returns `Ok`
/// on `stop`, `Err` the moment the lease can no longer be trusted.
async fn keep(
    conn: &Connection,
    channel: &Channel,
    holder: &LeaseHolder,
    stop: &CancellationToken,
) -> Result<(), String> {
    let mut confirm = tokio::time::interval(LEASE_POLL);
    confirm.tick().await;
    let mut status = tokio::time::interval(STATUS_CHECK);
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return Ok(()),
            _ = status.tick() => {
                if !conn.status().connected() || !channel.status().connected() {
                    return Err("the lease's connection or channel closed".to_owned());
                }
            }
            _ = confirm.tick() => {
                let asked = Instant::now();
                match tokio::time::timeout(LEASE_POLL, declare(channel, &holder.name)).await {
                    Ok(Ok(())) => holder.hold_until(asked + LEASE_VALID),
                    Ok(Err(e)) => return Err(format!("confirming the lease failed: {e}")),
                    Err(_) => return Err(format!("confirming the lease took over {LEASE_POLL:?}")),
                }
            }
        }
    }
}

/// Declares the lease queue: exclusive (one connection only, deleted with it), auto-deleted
/// and not durable, so that nothing of it outlives its holder.
async fn declare(channel: &Channel, name: &str) -> lapin::Result<()> {
    let options = QueueDeclareOptions {
        exclusive: true,
        auto_delete: true,
        durable: false,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(name.into(), options, FieldTable::default())
        .await
        .map(drop)
}

/// Whether `error` is the broker's "another connection holds this exclusive queue".
fn locked(error: &lapin::Error) -> bool {
    matches!(error.kind(), ErrorKind::ProtocolError(amqp) if amqp.get_id() == RESOURCE_LOCKED)
}
