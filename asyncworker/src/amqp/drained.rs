//! `--drain` for AMQP routes: a route is drained when its consumers are attached, every queue a
//! message can come back from (the route's queues and their retry queues, not the parking
//! queue) has no ready message, and its dispatcher holds nothing unsettled.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::backend::Prepared;
use super::connection::ConnectionManager;
use super::topology::{QueueSpec, inspect};
use crate::backend::{DrainProbe, Drained, PollFuture};

/// What the probe looks at for one route.
struct RouteWatch {
    route: Arc<str>,
    connection: Arc<ConnectionManager>,
    /// The queues to find empty, and whether the route declares them (a missing one will be
    /// declared by its consumer; otherwise it is an error).
    queues: Vec<(QueueSpec, bool)>,
    consumers: Vec<Consumer>,
    held: Arc<AtomicUsize>,
}

/// One consumer of a route, as the probe sees it.
struct Consumer {
    queue: Arc<str>,
    /// Its readiness: attached to its queue now.
    attached: Arc<AtomicBool>,
    /// Whether it was ever seen attached.
    ever: bool,
}

/// What the broker says of one queue.
enum Count {
    Ready(u64),
    Missing,
    /// It could not be asked now (the consumers reconnect meanwhile): work may be left.
    Unknown(String),
}

/// How long a consumer may take to attach the first time: one that cannot (a queue declared
/// elsewhere with other arguments, a broker that refuses us) fails the drain instead of
/// holding it forever. Later detachments (a broker restart mid-run) are waited out.
const ATTACH_LIMIT: Duration = Duration::from_secs(30);

/// The probe of an AMQP backend.
pub(crate) struct AmqpDrain {
    routes: Vec<RouteWatch>,
    /// The first poll: when the consumers' time to attach started.
    since: Option<Instant>,
    /// Under the testing harness: ready messages are counted in the in-memory broker.
    #[cfg(feature = "testing")]
    memory: Option<Arc<super::memory::MemoryBroker>>,
}

/// Whether a message in `q` can still reach the handler: a parking queue's messages never do.
fn comes_back(q: &QueueSpec) -> bool {
    q.role != "dead-letter queue"
}

impl AmqpDrain {
    pub(crate) fn new(
        routes: &[Prepared],
        #[cfg(feature = "testing")] memory: Option<Arc<super::memory::MemoryBroker>>,
    ) -> AmqpDrain {
        let routes = routes
            .iter()
            .map(|r| {
                let mut queues: Vec<(QueueSpec, bool)> = Vec::new();
                for t in &r.topologies {
                    for q in t.queues.iter().filter(|q| comes_back(q)) {
                        if !queues.iter().any(|(seen, _)| seen.name == q.name) {
                            queues.push((q.clone(), t.declare));
                        }
                    }
                }
                RouteWatch {
                    route: Arc::clone(&r.cfg.route),
                    connection: Arc::clone(&r.connection),
                    queues,
                    consumers: r
                        .queues
                        .iter()
                        .zip(&r.ready)
                        .map(|(q, ready)| Consumer {
                            queue: Arc::clone(q),
                            attached: Arc::clone(ready),
                            ever: false,
                        })
                        .collect(),
                    held: Arc::clone(&r.cfg.held),
                }
            })
            .collect();
        AmqpDrain {
            routes,
            since: None,
            #[cfg(feature = "testing")]
            memory,
        }
    }

    /// `Err` once a consumer has not attached within [`ATTACH_LIMIT`] of the first poll.
    fn never_attached(&mut self) -> Result<(), String> {
        let since = *self.since.get_or_insert_with(Instant::now);
        for r in &mut self.routes {
            for c in &mut r.consumers {
                c.ever |= c.attached.load(Ordering::Acquire);
                if !c.ever && since.elapsed() > ATTACH_LIMIT {
                    return Err(format!(
                        "route `{}`: the consumer of `{}` has not attached within {ATTACH_LIMIT:?} (the log above says why)",
                        r.route, c.queue
                    ));
                }
            }
        }
        Ok(())
    }

    /// The first route with work left, described; `Err` if a queue that is not declared does
    /// not exist.
    async fn poll_all(&self) -> Result<Drained, String> {
        for r in &self.routes {
            if let Drained::No(what) = self.poll_route(r).await? {
                return Ok(Drained::No(format!("route {}: {what}", r.route)));
            }
        }
        Ok(Drained::Yes)
    }

    /// Held items are read before and after the queues are counted: a message on its way
    /// from the broker to the dispatcher meanwhile is seen in one of the three.
    async fn poll_route(&self, r: &RouteWatch) -> Result<Drained, String> {
        let in_flight = || match r.held.load(Ordering::Acquire) {
            0 => None,
            n => Some(format!("{n} messages in flight")),
        };
        if let Some(left) = in_flight() {
            return Ok(Drained::No(left));
        }
        let detached = r
            .consumers
            .iter()
            .find(|c| !c.attached.load(Ordering::Acquire));
        let detached = detached.map(|c| format!("consumer of `{}` not attached", c.queue));
        // A route that declares its queues has them once its consumers are attached: asking
        // before would only make the broker close the channel of the passive declare.
        if detached.is_some() && r.queues.iter().all(|(_, declared)| *declared) {
            return Ok(Drained::No(detached.unwrap_or_default()));
        }
        let mut left = None;
        for (q, declared) in &r.queues {
            let (role, name) = (q.role, &q.name);
            let what = match self.count(r, name).await {
                Count::Ready(0) => continue,
                Count::Ready(n) => format!("{n} ready in {role} `{name}`"),
                Count::Missing if *declared => format!("{role} `{name}` not declared yet"),
                Count::Missing => return Err(missing(r, q)),
                Count::Unknown(e) => format!("cannot count {role} `{name}`: {e}"),
            };
            left.get_or_insert(what);
        }
        let left = left.or(detached).or_else(in_flight);
        Ok(left.map_or(Drained::Yes, Drained::No))
    }

    /// What the broker (or, under the harness, the in-memory broker) says of `queue`.
    async fn count(&self, r: &RouteWatch, queue: &str) -> Count {
        #[cfg(feature = "testing")]
        if let Some(broker) = &self.memory {
            return broker
                .ready(queue)
                .map_or(Count::Missing, |m| Count::Ready(m.len() as u64));
        }
        // Never cancelled: the run's own stop ends the whole drain instead.
        let Some(conn) = r.connection.get(&CancellationToken::new()).await else {
            return Count::Unknown("no connection".into());
        };
        match inspect(&conn, queue).await {
            Ok(Some((ready, _))) => Count::Ready(u64::from(ready)),
            Ok(None) => Count::Missing,
            Err(e) => Count::Unknown(e),
        }
    }
}

/// The error of a route whose queue does not exist and is not declared.
fn missing(r: &RouteWatch, q: &QueueSpec) -> String {
    format!(
        "route `{}`: {} `{}` does not exist (create it, or set declare = true)",
        r.route, q.role, q.name
    )
}

impl DrainProbe for AmqpDrain {
    fn poll(&mut self) -> PollFuture<'_> {
        Box::pin(async move {
            self.never_attached()?;
            self.poll_all().await
        })
    }
}
