//! How a route's options resolve: deployment overrides, the queue prefix, validation, the
//! topology each queue needs, and the one-line `describe`.

use super::def::{AmqpOptions, AmqpRouteDef, TopologyOptions};
use super::retry::retry_queues;
use super::topology::Topology;
use crate::bulk::BulkOptions;
use crate::registry::RouteDef as _;
use crate::registry::RouteProblem;
use crate::settings::Settings;

/// A route's options after deployment overrides, with prefixed queue names.
pub(crate) struct Resolved {
    pub(crate) def: &'static AmqpRouteDef,
    pub(crate) options: AmqpOptions,
    /// The bulk options, with the deployment's overrides.
    pub(crate) bulk: BulkOptions,
    pub(crate) queues: Vec<String>,
    pub(crate) prefetch: u16,
    /// The parking queue, with the queue prefix.
    pub(crate) dead_letter: Option<String>,
    /// Deliveries before the poison guard rejects a message that always fails (0: no
    /// guard): the deployment's override, else the route's, else the worker's.
    pub(crate) max_redeliveries: u16,
}

impl Resolved {
    /// `def`'s options with the deployment's overrides applied and the queue prefix added,
    /// or why they cannot run.
    pub(crate) fn new(
        def: &'static AmqpRouteDef,
        settings: &Settings,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, Vec<RouteProblem>> {
        let problem = |message: String| vec![RouteProblem::of(def, message)];
        let over = crate::settings::route_override(def.name, settings, lookup).map_err(|bad| {
            bad.into_iter()
                .map(|m| RouteProblem::of(def, m))
                .collect::<Vec<_>>()
        })?;
        let queues = match over.queues.clone() {
            Some(q) => valid_queue_override(q).map_err(problem)?,
            None => def.queues.iter().map(|q| (*q).to_owned()).collect(),
        };
        let bulk = def.options.bulk().with_override(&over);
        let mut options = def.options;
        options.prefetch = over.prefetch.or(options.prefetch);
        let prefetch =
            prefetch(options.prefetch, &bulk, settings.amqp_prefetch).map_err(problem)?;
        let prefix = &settings.amqp_queue_prefix;
        let resolved = Resolved {
            def,
            options,
            bulk,
            queues: queues.into_iter().map(|q| format!("{prefix}{q}")).collect(),
            prefetch,
            dead_letter: options.dead_letter.map(|d| format!("{prefix}{d}")),
            max_redeliveries: over
                .max_redeliveries
                .or(options.max_redeliveries)
                .unwrap_or(settings.amqp_max_redeliveries),
        };
        resolved.no_loops().map_err(problem)?;
        Ok(resolved)
    }

    /// Checked here too, not only by the macro: queue overrides come from the environment.
    /// A route must not consume the queues its failed messages wait or park in.
    fn no_loops(&self) -> Result<(), String> {
        let queues = &self.queues;
        for q in queues {
            if let Some((retry, _)) = self
                .retry_queues(q)
                .into_iter()
                .find(|(r, _)| queues.contains(r))
            {
                return Err(format!(
                    "consumes both `{q}` and its retry queue `{retry}`: failed messages would come back without their delay; drop `{retry}` from the queues"
                ));
            }
        }
        if let Some(d) = &self.dead_letter
            && queues.contains(d)
        {
            return Err(format!(
                "consumes its own dead-letter queue `{d}`: parked messages would loop"
            ));
        }
        Ok(())
    }

    /// The retry queues of `queue` with their TTL, one per tier; none without `retries`.
    pub(crate) fn retry_queues(&self, queue: &str) -> Vec<(String, u64)> {
        let o = &self.options;
        if o.retries == 0 {
            return Vec::new();
        }
        match o.retry_delays_ms {
            [] => retry_queues(queue, &[o.retry_delay_ms]),
            tiers => retry_queues(queue, tiers),
        }
    }

    /// The delay of each retry tier (`"30000ms"`), for `--routes` and the documents.
    pub(crate) fn retry_delays(&self) -> Vec<String> {
        self.retry_queues("")
            .iter()
            .map(|(_, ms)| format!("{ms}ms"))
            .collect()
    }

    /// The topology of each of the route's queues: itself, its retry queue (one per tier),
    /// the parking queue.
    pub(crate) fn topologies(&self) -> Vec<Topology> {
        let o = &self.options;
        self.queues
            .iter()
            .map(|q| {
                let tiers = self.retry_queues(q);
                let first = tiers.first().map(|(name, ttl)| (name.as_str(), *ttl));
                let mut t = Topology::new(
                    q,
                    o.queue_type,
                    o.declare,
                    first,
                    self.dead_letter.as_deref(),
                );
                for (name, ttl) in tiers.iter().skip(1) {
                    t.add_retry_tier(q, o.queue_type, name, *ttl);
                }
                t.shaped(&o.topology, self.dead_letter.as_deref())
            })
            .collect()
    }

    /// Whether the poison guard watches this route: it has no retry path of its own, failed
    /// messages are requeued, and `max_redeliveries` is not 0.
    pub(crate) fn guarded(&self) -> bool {
        self.options.retries == 0
            && self.dead_letter.is_none()
            && self.options.on_exception == crate::action::Action::Requeue
            && self.max_redeliveries > 0
    }

    /// A one-line summary for `--routes` and the startup log.
    pub(crate) fn describe(&self) -> String {
        let o = &self.options;
        let mut s = format!(
            "amqp  {:<20} queues={:?} bulk_size={} bulk_flush={}ms prefetch={} concurrency={} on_success={} on_exception={} on_decode_error={}",
            self.def.name,
            self.queues,
            self.bulk.bulk_size,
            self.bulk.bulk_flush_ms,
            self.prefetch,
            self.bulk.concurrency,
            o.on_success,
            o.on_exception,
            o.on_decode_error,
        );
        if let Some(t) = self.bulk.timeout_ms {
            s.push_str(&format!(" timeout={t}ms"));
        }
        if let Some(v) = o.vhost {
            s.push_str(&format!(" vhost={v:?}"));
        }
        if let Some(c) = o.connection {
            s.push_str(&format!(" connection={c:?}"));
        }
        if o.retries > 0 {
            s.push_str(&format!(
                " retries={} retry_delay={}",
                o.retries,
                self.retry_delays().join(",")
            ));
        }
        if let Some(d) = &self.dead_letter {
            s.push_str(&format!(" dead_letter={d:?}"));
        }
        if self.guarded() {
            s.push_str(&format!(" max_redeliveries={}", self.max_redeliveries));
        }
        if o.declare {
            s.push_str(&format!(
                " declare=true queue_type={}",
                o.queue_type.as_str()
            ));
        }
        s.push_str(&describe_topology(&o.topology));
        s.push_str(&format!("  ({})", self.def.location()));
        s
    }
}
/// The topology keys a route sets, for `describe`: bindings and main-queue arguments.
fn describe_topology(t: &TopologyOptions) -> String {
    let mut s = String::new();
    for (exchange, key) in t.bind {
        s.push_str(&format!(" bind={exchange}:{key}"));
    }
    if !t.bind.is_empty() {
        s.push_str(&format!(" exchange_type={}", t.exchange_type));
    }
    if let Some(n) = t.max_length {
        s.push_str(&format!(" max_length={n}"));
    }
    if let Some(o) = t.overflow {
        s.push_str(&format!(" overflow={o}"));
    }
    if let Some(ms) = t.message_ttl_ms {
        s.push_str(&format!(" message_ttl={ms}ms"));
    }
    if let Some(n) = t.delivery_limit {
        s.push_str(&format!(" delivery_limit={n}"));
    }
    if t.single_active {
        s.push_str(" single_active=true");
    }
    s
}

/// A deployment's queue list (`_QUEUES`), if every name is one the broker accepts.
fn valid_queue_override(queues: Vec<String>) -> Result<Vec<String>, String> {
    if queues.is_empty() || queues.iter().any(|q| q.is_empty() || q.len() > 255) {
        return Err(format!(
            "the queue override {queues:?} needs one or more names of 1 to 255 bytes"
        ));
    }
    Ok(queues)
}

/// The prefetch of a route: the one it sets, else enough for every concurrent call to be fed
/// and the next bulk to fill meanwhile (at least the worker's `amqp_prefetch`).
fn prefetch(set: Option<u16>, bulk: &BulkOptions, default: u16) -> Result<u16, String> {
    if let Some(p) = set {
        if p < bulk.bulk_size {
            return Err(format!(
                "prefetch {p} is smaller than bulk_size {}: the bulk could never fill",
                bulk.bulk_size
            ));
        }
        return Ok(p);
    }
    let needed = u32::from(bulk.bulk_size) * (u32::from(bulk.concurrency) + 1);
    Ok(u32::from(default).max(needed).min(u32::from(u16::MAX)) as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(bulk_size: u16, concurrency: u16) -> BulkOptions {
        BulkOptions {
            bulk_size,
            bulk_flush_ms: 1000,
            concurrency,
            timeout_ms: None,
        }
    }

    #[test]
    fn prefetch_feeds_every_call_and_the_next_bulk() {
        assert_eq!(prefetch(None, &bulk(10, 2), 128), Ok(128));
        assert_eq!(prefetch(None, &bulk(100, 3), 128), Ok(400));
        assert_eq!(prefetch(None, &bulk(1000, 100), 128), Ok(u16::MAX));
        assert_eq!(prefetch(Some(20), &bulk(10, 4), 128), Ok(20));
        assert!(prefetch(Some(5), &bulk(10, 1), 128).is_err());
    }

    #[test]
    fn queue_overrides_need_names_the_broker_accepts() {
        let names = |v: &[&str]| v.iter().map(|q| (*q).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            valid_queue_override(names(&["a", "b"])),
            Ok(names(&["a", "b"]))
        );
        assert!(valid_queue_override(Vec::new()).is_err());
        assert!(valid_queue_override(names(&["a", ""])).is_err());
        assert!(valid_queue_override(vec!["q".repeat(256)]).is_err());
    }
}
