//! Prometheus metrics of every backend, served as text by `GET /metrics`.
//!
//! Hot paths hold their own handles (a `Counter` is an `Arc` around an atomic), so recording
//! costs an atomic add, not a label lookup.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Metric, Registry};

/// `route`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub(crate) route: String,
}

/// `route`, `queue`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct QueueLabels {
    pub(crate) route: String,
    pub(crate) queue: String,
}

/// `route`, `queue`, `outcome` (ack, reject, requeue, lost).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OutcomeLabels {
    pub(crate) route: String,
    pub(crate) queue: String,
    pub(crate) outcome: String,
}

/// `route`, `reason` (size, deadline, shutdown).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct FlushLabels {
    pub(crate) route: String,
    pub(crate) reason: String,
}

/// `route` (the path template), `method`, `status`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct HttpLabels {
    pub(crate) route: String,
    pub(crate) method: String,
    pub(crate) status: String,
}

/// `route` (the path template), `method`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct HttpRouteLabels {
    pub(crate) route: String,
    pub(crate) method: String,
}

/// Every metric family of a worker.
pub struct Metrics {
    registry: Registry,
    /// Messages settled, by route, queue (or stream) and outcome.
    pub(crate) messages: Family<OutcomeLabels, Counter>,
    /// Bodies that did not decode.
    pub(crate) decode_errors: Family<QueueLabels, Counter>,
    /// Bulks handed to handlers, by reason.
    pub(crate) flushes: Family<FlushLabels, Counter>,
    /// Messages per handler call.
    pub(crate) bulk_size: Family<RouteLabels, Histogram>,
    /// Seconds per handler call.
    pub(crate) handler_duration: Family<RouteLabels, Histogram>,
    /// Handler calls running now.
    pub(crate) in_flight: Family<RouteLabels, Gauge>,
    /// Consumers (re)attached after a failure.
    pub(crate) reconnects: Family<QueueLabels, Counter>,
    /// SSE events dropped before the dispatcher, by route, path and reason (oversized).
    pub(crate) sse_events: Family<OutcomeLabels, Counter>,
    /// SSE reconnections.
    pub(crate) sse_reconnects: Family<RouteLabels, Counter>,
    /// SSE bytes received.
    pub(crate) sse_bytes: Family<RouteLabels, Counter>,
    /// HTTP requests, by route template, method and status.
    pub(crate) http_requests: Family<HttpLabels, Counter>,
    /// Seconds per HTTP request.
    pub(crate) http_duration: Family<HttpRouteLabels, Histogram>,
    /// HTTP requests refused with 503 because `ASYNCWORKER_HTTP_MAX_IN_FLIGHT` were in flight.
    pub(crate) http_shed: Family<RouteLabels, Counter>,
    /// Scheduled runs, by route and outcome (ok, error, panic, timeout).
    pub(crate) schedule_runs: Family<ScheduleLabels, Counter>,
    /// Scheduled ticks skipped because `max_concurrency` runs were in flight.
    pub(crate) schedule_skips: Family<RouteLabels, Counter>,
    /// Per `singleton = true` route: 1 while this replica holds the lease and fires, 0 while
    /// it stands by.
    pub(crate) schedule_leader: Family<RouteLabels, Gauge>,
    /// Failed messages by what the retry path did (retried, dead_lettered, exhausted,
    /// republish_failed).
    pub(crate) amqp_retries: Family<OutcomeLabels, Counter>,
    /// AMQP settlements lapin could not send (the channel was closed or recovered): the broker
    /// redelivers those messages, so their handlers will see them again.
    pub(crate) settlements_lost: Family<QueueLabels, Counter>,
    /// AMQP deliveries that arrived with the redelivered flag: duplicates, or messages
    /// requeued on purpose.
    pub(crate) amqp_redelivered: Family<QueueLabels, Counter>,
}

/// `route`, `outcome` of a scheduled run.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ScheduleLabels {
    pub(crate) route: String,
    pub(crate) outcome: String,
}

fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 18))
}

fn size_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 17))
}

/// Registers `metric` under `name` and gives it back: the registry keeps a clone, which
/// shares the metric's values.
fn registered<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

impl Metrics {
    /// Every family, registered under the `asyncworker_` prefix: a list, one entry per family.
    pub(crate) fn new() -> Metrics {
        let mut r = Registry::with_prefix("asyncworker");
        Metrics {
            messages: registered(
                &mut r,
                "messages",
                "Messages settled, by route, queue and outcome",
                Family::default(),
            ),
            decode_errors: registered(
                &mut r,
                "decode_errors",
                "Message bodies that did not decode into the handler's type",
                Family::default(),
            ),
            flushes: registered(
                &mut r,
                "bulk_flushes",
                "Bulks handed to handlers, by reason",
                Family::default(),
            ),
            bulk_size: registered(
                &mut r,
                "bulk_size",
                "Messages per handler call",
                Family::new_with_constructor(size_histogram as fn() -> _),
            ),
            handler_duration: registered(
                &mut r,
                "handler_duration_seconds",
                "Duration of handler calls",
                Family::new_with_constructor(seconds_histogram as fn() -> _),
            ),
            in_flight: registered(
                &mut r,
                "handlers_in_flight",
                "Handler calls running now",
                Family::default(),
            ),
            reconnects: registered(
                &mut r,
                "consumer_reconnects",
                "Consumers re-attached after a failure",
                Family::default(),
            ),
            sse_events: registered(
                &mut r,
                "sse_events",
                "Server-sent events dropped before reaching the dispatcher, by route, path and reason (oversized)",
                Family::default(),
            ),
            sse_reconnects: registered(
                &mut r,
                "sse_reconnects",
                "Reconnections of SSE streams",
                Family::default(),
            ),
            sse_bytes: registered(
                &mut r,
                "sse_bytes",
                "Bytes received on SSE streams",
                Family::default(),
            ),
            http_requests: registered(
                &mut r,
                "http_requests",
                "HTTP requests, by route template, method and status",
                Family::default(),
            ),
            http_duration: registered(
                &mut r,
                "http_request_duration_seconds",
                "Duration of HTTP requests",
                Family::new_with_constructor(seconds_histogram as fn() -> _),
            ),
            http_shed: registered(
                &mut r,
                "http_shed",
                "HTTP requests refused at once with 503 because ASYNCWORKER_HTTP_MAX_IN_FLIGHT requests were in flight, by route template",
                Family::default(),
            ),
            schedule_runs: registered(
                &mut r,
                "schedule_runs",
                "Scheduled runs, by route and outcome",
                Family::default(),
            ),
            schedule_skips: registered(
                &mut r,
                "schedule_skips",
                "Scheduled ticks skipped because max_concurrency runs were in flight",
                Family::default(),
            ),
            schedule_leader: registered(
                &mut r,
                "schedule_leader",
                "Per singleton scheduled route: 1 while this replica holds the lease and fires, 0 while it stands by",
                Family::default(),
            ),
            amqp_retries: registered(
                &mut r,
                "amqp_retries",
                "Failed messages by what the retry path did: retried, dead_lettered, exhausted (rejected), republish_failed; on routes without retries, what the poison guard did: held (then requeued), redelivery_limit (rejected)",
                Family::default(),
            ),
            settlements_lost: registered(
                &mut r,
                "settlements_lost",
                "AMQP acks, rejects and requeues that could not be sent because the channel was closed or recovered: the broker redelivers those messages (expect duplicates)",
                Family::default(),
            ),
            amqp_redelivered: registered(
                &mut r,
                "amqp_redelivered",
                "AMQP deliveries that arrived with the redelivered flag, by route and queue: requeued messages and those whose settlement was lost (duplicates)",
                Family::default(),
            ),
            registry: r,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_text_with_labels() {
        let m = Metrics::new();
        m.messages
            .get_or_create(&OutcomeLabels {
                route: "drain".into(),
                queue: "orders".into(),
                outcome: "ack".into(),
            })
            .inc_by(3);
        let text = m.encode();
        assert!(
            text.contains(
                r#"asyncworker_messages_total{route="drain",queue="orders",outcome="ack"} 3"#
            ),
            "{text}"
        );
    }

    #[test]
    fn each_source_counts_its_own_outcomes_with_few_sources_and_with_many() {
        use crate::action::Action;
        for n in [1, 3, 9] {
            let m = Metrics::new();
            let names: Vec<std::sync::Arc<str>> =
                (0..n).rev().map(|i| format!("q{i}").into()).collect();
            let route = RouteMetrics::new(&m, "r", &names);
            for (i, name) in names.iter().enumerate() {
                for _ in 0..=i {
                    route.settled(name, Action::Reject);
                }
                route.decode_error(name);
            }
            route.settled("not-a-source", Action::Ack);
            let text = m.encode();
            for (i, name) in names.iter().enumerate() {
                let line = format!(
                    r#"asyncworker_messages_total{{route="r",queue="{name}",outcome="reject"}} {}"#,
                    i + 1
                );
                assert!(text.contains(&line), "{n} sources: no {line} in {text}");
            }
            assert!(!text.contains("not-a-source"), "{text}");
        }
    }
}

/// Pre-built handles for one route of the dispatcher, so recording never builds labels.
#[derive(Clone, Debug)]
pub(crate) struct RouteMetrics {
    /// Per source (queue or stream): decode errors and [ack, reject, requeue] counters,
    /// sorted by name. A sorted `Vec`, not a `HashMap`: looked up once per message, and most
    /// routes read one to three queues, where comparing names beats hashing one.
    sources: Vec<(std::sync::Arc<str>, SourceMetrics)>,
    /// Flushes by reason: [size, deadline, shutdown].
    flushes: [Counter; 3],
    bulk_size: Histogram,
    pub(crate) duration: Histogram,
    pub(crate) in_flight: Gauge,
}

#[derive(Clone, Debug)]
struct SourceMetrics {
    decode_errors: Counter,
    outcomes: [Counter; 3],
}

impl RouteMetrics {
    pub(crate) fn new(m: &Metrics, route: &str, sources: &[std::sync::Arc<str>]) -> RouteMetrics {
        let route_l = RouteLabels {
            route: route.to_owned(),
        };
        let flush = |reason: &str| {
            m.flushes
                .get_or_create(&FlushLabels {
                    route: route.to_owned(),
                    reason: reason.to_owned(),
                })
                .clone()
        };
        let mut sources: Vec<_> = sources
            .iter()
            .map(|src| {
                let outcome = |o: &str| {
                    m.messages
                        .get_or_create(&OutcomeLabels {
                            route: route.to_owned(),
                            queue: src.to_string(),
                            outcome: o.to_owned(),
                        })
                        .clone()
                };
                let decode_errors = m
                    .decode_errors
                    .get_or_create(&QueueLabels {
                        route: route.to_owned(),
                        queue: src.to_string(),
                    })
                    .clone();
                (
                    std::sync::Arc::clone(src),
                    SourceMetrics {
                        decode_errors,
                        outcomes: [outcome("ack"), outcome("reject"), outcome("requeue")],
                    },
                )
            })
            .collect();
        sources.sort_by(|a, b| a.0.cmp(&b.0));
        sources.dedup_by(|a, b| a.0 == b.0);
        RouteMetrics {
            sources,
            flushes: [flush("size"), flush("deadline"), flush("shutdown")],
            bulk_size: m.bulk_size.get_or_create(&route_l).clone(),
            duration: m.handler_duration.get_or_create(&route_l).clone(),
            in_flight: m.in_flight.get_or_create(&route_l).clone(),
        }
    }

    /// A bulk of `n` items was handed over for `reason`.
    pub(crate) fn flushed(&self, reason: crate::bulk::FlushReason, n: usize) {
        use crate::bulk::FlushReason;
        let i = match reason {
            FlushReason::Size => 0,
            FlushReason::Deadline => 1,
            FlushReason::Shutdown => 2,
        };
        self.flushes[i].inc();
        self.bulk_size.observe(n as f64);
    }

    /// The counters of `source`: a scan of a few, a binary search of many.
    fn source(&self, source: &str) -> Option<&SourceMetrics> {
        if self.sources.len() <= 4 {
            return self
                .sources
                .iter()
                .find(|(s, _)| &**s == source)
                .map(|(_, m)| m);
        }
        let i = self
            .sources
            .binary_search_by(|(s, _)| (**s).cmp(source))
            .ok()?;
        Some(&self.sources[i].1)
    }

    pub(crate) fn decode_error(&self, source: &str) {
        if let Some(s) = self.source(source) {
            s.decode_errors.inc();
        }
    }

    pub(crate) fn settled(&self, source: &str, action: crate::action::Action) {
        if let Some(s) = self.source(source) {
            let i = match action {
                crate::action::Action::Ack => 0,
                crate::action::Action::Reject => 1,
                crate::action::Action::Requeue => 2,
            };
            s.outcomes[i].inc();
        }
    }
}
