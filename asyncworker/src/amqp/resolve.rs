//! How a route's options resolve: deployment overrides, the queue prefix, validation, the
//! topology each queue needs, and the one-line `describe`.

use super::def::{AmqpOptions, AmqpRouteDef};
use super::topology::Topology;
use crate::backend::RouteProblem;
use crate::bulk::BulkOptions;
use crate::registry::RouteDef as _;
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
}

impl Resolved {
    pub(crate) fn new(
        def: &'static AmqpRouteDef,
        settings: &Settings,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, Vec<RouteProblem>> {
        let problem = |message: String| RouteProblem::of(def, message);
        let mut options = def.options;
        let mut queues: Vec<String> = def.queues.iter().map(|q| (*q).to_owned()).collect();
        let over = crate::settings::route_override(def.name, settings, lookup)
            .map_err(|bad| bad.into_iter().map(problem).collect::<Vec<_>>())?;
        if let Some(q) = over.queues.clone() {
            if q.is_empty() || q.iter().any(|q| q.is_empty() || q.len() > 255) {
                return Err(vec![problem(format!(
                    "the queue override {q:?} needs one or more names of 1 to 255 bytes"
                ))]);
            }
            queues = q;
        }
        let bulk = options.bulk().with_override(&over);
        if let Some(n) = over.prefetch {
            options.prefetch = Some(n);
        }
        if let Some(p) = options.prefetch
            && p < bulk.bulk_size
        {
            return Err(vec![problem(format!(
                "prefetch {p} is smaller than bulk_size {}: the bulk could never fill",
                bulk.bulk_size
            ))]);
        }
        let prefetch = options.prefetch.unwrap_or_else(|| {
            // Enough for every concurrent call to be fed and the next bulk to fill meanwhile.
            let needed = u32::from(bulk.bulk_size) * (u32::from(bulk.concurrency) + 1);
            u32::from(settings.amqp_prefetch)
                .max(needed)
                .min(u32::from(u16::MAX)) as u16
        });
        let queues: Vec<String> = queues
            .into_iter()
            .map(|q| format!("{}{q}", settings.amqp_queue_prefix))
            .collect();
        let dead_letter = options
            .dead_letter
            .map(|d| format!("{}{d}", settings.amqp_queue_prefix));
        // Checked here too, not only by the macro: queue overrides come from the environment.
        if options.retries > 0
            && let Some(q) = queues
                .iter()
                .find(|q| queues.contains(&format!("{q}.retry")))
        {
            return Err(vec![problem(format!(
                "consumes both `{q}` and its retry queue `{q}.retry`: failed messages would come back without their delay; drop `{q}.retry` from the queues"
            ))]);
        }
        if let Some(d) = &dead_letter
            && queues.contains(d)
        {
            return Err(vec![problem(format!(
                "consumes its own dead-letter queue `{d}`: parked messages would loop"
            ))]);
        }
        Ok(Resolved {
            def,
            options,
            bulk,
            queues,
            prefetch,
            dead_letter,
        })
    }

    /// The topology of each of the route's queues: itself, `<queue>.retry`, the parking queue.
    pub(crate) fn topologies(&self) -> Vec<Topology> {
        let o = &self.options;
        self.queues
            .iter()
            .map(|q| {
                let retry_queue = format!("{q}.retry");
                Topology::new(
                    q,
                    o.queue_type,
                    o.declare,
                    (o.retries > 0).then_some((retry_queue.as_str(), o.retry_delay_ms)),
                    self.dead_letter.as_deref(),
                )
            })
            .collect()
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
                " retries={} retry_delay={}ms",
                o.retries, o.retry_delay_ms
            ));
        }
        if let Some(d) = &self.dead_letter {
            s.push_str(&format!(" dead_letter={d:?}"));
        }
        if o.declare {
            s.push_str(&format!(
                " declare=true queue_type={}",
                o.queue_type.as_str()
            ));
        }
        s.push_str(&format!("  ({})", self.def.location()));
        s
    }
}
