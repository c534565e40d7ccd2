//! From what a run shows (deliveries, dead-lettered copies, parked copies, publishes, queue
//! depths) to an [`Outcome`] per scenario, the same way for RabbitMQ and for the harness.
//!
//! A delivery's fate is read from what follows it: a redelivery at the same attempt means it
//! was requeued, a delivery at the next attempt that it was retried; the last delivery of a
//! message was rejected if the message is in `<queue>.rejected` (every consumed queue
//! dead-letters there), dead-lettered if it is in the parking queue, and acked otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use asyncworker::amqp::{AMQPValue, ATTEMPT_HEADER, BasicProperties, ERROR_HEADER};

use super::behave::Delivery;
use super::properties::describe;
use super::table::Scenario;

/// What became of one delivery.
#[derive(Clone, PartialEq, Eq)]
pub enum Fate {
    Acked,
    Rejected,
    Requeued,
    /// Sent for a delayed retry; the copy comes back as this attempt.
    Retried(u32),
    /// Moved to this parking queue (named without the run's prefix).
    DeadLettered(String),
    /// Observations that fit no fate, described.
    Unexplained(String),
}

impl fmt::Debug for Fate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fate::Acked => f.write_str("Acked"),
            Fate::Rejected => f.write_str("Rejected"),
            Fate::Requeued => f.write_str("Requeued"),
            Fate::Retried(attempt) => write!(f, "Retried({attempt})"),
            Fate::DeadLettered(queue) => write!(f, "DeadLettered({queue})"),
            Fate::Unexplained(why) => write!(f, "Unexplained({why})"),
        }
    }
}

/// What one scenario came to; compared field by field between runs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// Per message id, the fate of each of its deliveries, in order.
    pub fates: BTreeMap<u64, Vec<Fate>>,
    /// Per handler call, its messages as `queue:id[@attempt][r]`, sorted; only for scenarios
    /// whose bulks timing cannot change.
    pub bulks: Option<Vec<Vec<String>>>,
    /// Bulks handed over per flush reason; same condition.
    pub flushes: Option<BTreeMap<String, u64>>,
    /// Per parked message id: the attempt and error headers of its copy.
    pub parked: BTreeMap<u64, (u32, String)>,
    /// What the handlers published: (queue, JSON body), sorted.
    pub published: Vec<(String, String)>,
    /// Messages left in the consumed and retry queues once the run is over (only non-zero).
    pub left: BTreeMap<String, usize>,
    /// Per message id, the properties and headers of each delivery (then of the copy in the
    /// rejected or parking queue): attempts, errors, `x-death`... The table does not state
    /// them; the runs must agree.
    pub properties: BTreeMap<u64, Vec<String>>,
}

/// A message sitting in a queue once a run is over.
pub struct Copy {
    pub queue: String,
    pub body: Vec<u8>,
    pub properties: BasicProperties,
}

/// Everything one run shows, queue names with the run's prefix.
pub struct Observations {
    pub prefix: String,
    pub deliveries: Vec<Delivery>,
    /// Every message in a queue at the end: `<queue>.rejected`, parking and `.out` queues.
    pub copies: Vec<Copy>,
    /// Flushes per (route, reason).
    pub flushes: BTreeMap<(String, String), u64>,
    /// Messages left in each consumed and retry queue.
    pub left: BTreeMap<String, usize>,
}

/// The `id` of a body: a JSON object's `"id"`, else the number after `id=` in the text.
pub fn id_of(body: &[u8]) -> Option<u64> {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        return v.get("id")?.as_u64();
    }
    let text = String::from_utf8_lossy(body);
    let rest = &text[text.find("id=")? + 3..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl Observations {
    fn name<'a>(&self, queue: &'a str) -> &'a str {
        queue.strip_prefix(self.prefix.as_str()).unwrap_or(queue)
    }

    /// The ids of the copies in `queue` (named without the prefix).
    fn ids_in(&self, queue: &str) -> Vec<u64> {
        self.copies_in(queue)
            .map(|c| id_of(&c.body).unwrap_or(u64::MAX))
            .collect()
    }

    fn copies_in<'a>(&'a self, queue: &'a str) -> impl Iterator<Item = &'a Copy> + 'a {
        self.copies
            .iter()
            .filter(move |c| self.name(&c.queue) == queue)
    }

    /// The outcome of `scenario` in this run.
    pub fn outcome(&self, scenario: &Scenario) -> Outcome {
        let mine: Vec<&Delivery> = self
            .deliveries
            .iter()
            .filter(|d| scenario.consumes(self.name(&d.queue)))
            .collect();
        let rejected: Vec<u64> = scenario
            .queues
            .iter()
            .flat_map(|q| self.ids_in(&format!("{q}.rejected")))
            .collect();
        let parked: Vec<u64> = scenario
            .parking
            .as_ref()
            .map(|p| self.ids_in(p))
            .unwrap_or_default();
        let fates = scenario
            .expect
            .fates
            .keys()
            .map(|&id| {
                let seen: Vec<&Delivery> = mine.iter().copied().filter(|d| d.id == id).collect();
                (
                    id,
                    fates_of(&seen, count(&rejected, id), count(&parked, id), scenario),
                )
            })
            .collect();
        Outcome {
            fates,
            bulks: scenario.expect.bulks.as_ref().map(|_| self.bulks(&mine)),
            flushes: scenario
                .expect
                .flushes
                .as_ref()
                .map(|_| self.flushes_of(&scenario.route)),
            parked: scenario
                .parking
                .as_ref()
                .map(|p| self.parked_in(p))
                .unwrap_or_default(),
            published: self.published(scenario),
            left: self.left_in(scenario),
            properties: self.properties(scenario, &mine),
        }
    }

    /// Per id, the properties of each delivery, then of its rejected or parked copy.
    fn properties(&self, scenario: &Scenario, mine: &[&Delivery]) -> BTreeMap<u64, Vec<String>> {
        let mut out: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for d in mine {
            let from =
                format!("from {:?} {:?}: ", d.exchange, d.routing_key).replace(&self.prefix, "");
            let line = from + &describe(&d.properties, &self.prefix);
            out.entry(d.id).or_default().push(line);
        }
        let ends = scenario
            .queues
            .iter()
            .map(|q| format!("{q}.rejected"))
            .chain(scenario.parking.clone());
        for queue in ends {
            for c in self.copies_in(&queue) {
                let line = format!("in {queue}: {}", describe(&c.properties, &self.prefix));
                out.entry(id_of(&c.body).unwrap_or(u64::MAX))
                    .or_default()
                    .push(line);
            }
        }
        out
    }

    fn bulks(&self, mine: &[&Delivery]) -> Vec<Vec<String>> {
        let mut calls: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for d in mine {
            let mut token = format!("{}:{}", self.name(&d.queue), d.id);
            if d.attempt > 1 {
                token.push_str(&format!("@{}", d.attempt));
            }
            if d.redelivered {
                token.push('r');
            }
            calls.entry(d.call).or_default().push(token);
        }
        calls
            .into_values()
            .map(|mut c| {
                c.sort();
                c
            })
            .collect()
    }

    fn flushes_of(&self, route: &str) -> BTreeMap<String, u64> {
        self.flushes
            .iter()
            .filter(|((r, _), n)| r == route && **n > 0)
            .map(|((_, reason), n)| (reason.clone(), *n))
            .collect()
    }

    fn parked_in(&self, parking: &str) -> BTreeMap<u64, (u32, String)> {
        self.copies_in(parking)
            .map(|c| {
                let headers = c.properties.headers().as_ref();
                let header = |key| headers.and_then(|h| h.inner().get(key).cloned());
                let attempt = match header(ATTEMPT_HEADER) {
                    Some(AMQPValue::LongLongInt(n)) => u32::try_from(n).unwrap_or(u32::MAX),
                    _ => 0,
                };
                let error = match header(ERROR_HEADER) {
                    Some(AMQPValue::LongString(s)) => String::from_utf8_lossy(s.as_bytes()).into(),
                    other => format!("{other:?}"),
                };
                (id_of(&c.body).unwrap_or(u64::MAX), (attempt, error))
            })
            .collect()
    }

    fn published(&self, scenario: &Scenario) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = scenario
            .queues
            .iter()
            .flat_map(|q| {
                let out = format!("{q}.out");
                let bodies: Vec<String> = self
                    .copies_in(&out)
                    .map(
                        |c| match serde_json::from_slice::<serde_json::Value>(&c.body) {
                            Ok(v) => v.to_string(),
                            Err(_) => String::from_utf8_lossy(&c.body).into_owned(),
                        },
                    )
                    .collect();
                bodies.into_iter().map(move |b| (out.clone(), b))
            })
            .collect();
        out.sort();
        out
    }

    fn left_in(&self, scenario: &Scenario) -> BTreeMap<String, usize> {
        self.left
            .iter()
            .map(|(q, n)| (self.name(q).to_owned(), *n))
            .filter(|(q, n)| *n > 0 && scenario.holds(q))
            .collect()
    }
}

fn count(ids: &[u64], id: u64) -> usize {
    ids.iter().filter(|&&i| i == id).count()
}

/// The fate of each delivery of one message (a message that never reached the handler, being
/// undecodable, counts as one delivery), from what follows it.
fn fates_of(seen: &[&Delivery], rejected: usize, parked: usize, scenario: &Scenario) -> Vec<Fate> {
    let mut fates: Vec<Fate> = seen
        .windows(2)
        .map(|pair| {
            let (d, next) = (pair[0], pair[1]);
            if !next.redelivered && next.attempt == d.attempt + 1 {
                Fate::Retried(next.attempt)
            } else if next.redelivered
                && (next.attempt == d.attempt || next.attempt == d.attempt + 1)
            {
                // A requeue keeps the attempt on a classic queue; on a quorum queue the
                // broker's x-delivery-count makes it the next one.
                Fate::Requeued
            } else {
                Fate::Unexplained(format!("{d:?} then {next:?}"))
            }
        })
        .collect();
    let last = match (rejected, parked) {
        (0, 0) => Fate::Acked,
        (1, 0) => Fate::Rejected,
        (0, 1) => Fate::DeadLettered(scenario.parking.clone().unwrap_or_default()),
        (r, p) => Fate::Unexplained(format!("{r} copies dead-lettered by the queue, {p} parked")),
    };
    fates.push(last);
    fates
}

/// The differences between two runs (or a run and the table), scenario by scenario: `a` and
/// `b` hold each scenario's outcome in table order. Empty when they agree.
pub fn report(table: &[Scenario], a: (&str, &[Outcome]), b: (&str, &[Outcome])) -> String {
    let mut out = String::new();
    for (i, s) in table.iter().enumerate() {
        let lines = differences(a.0, &a.1[i], b.0, &b.1[i]);
        if !lines.is_empty() {
            out.push_str(&format!(
                "\n{} ({} vs {}):\n  {}",
                s.route,
                a.0,
                b.0,
                lines.join("\n  ")
            ));
        }
    }
    out
}

/// The differences between two outcomes of one scenario, one line each (none when equal).
fn differences(a_name: &str, a: &Outcome, b_name: &str, b: &Outcome) -> Vec<String> {
    let mut lines = Vec::new();
    let ids: BTreeSet<&u64> = a.fates.keys().chain(b.fates.keys()).collect();
    for id in ids {
        let (fa, fb) = (a.fates.get(id), b.fates.get(id));
        if fa != fb {
            lines.push(format!("id {id}: {a_name} {fa:?}, {b_name} {fb:?}"));
        }
    }
    let mut field = |name: &str, x: &dyn fmt::Debug, y: &dyn fmt::Debug| {
        let (x, y) = (format!("{x:?}"), format!("{y:?}"));
        if x != y {
            lines.push(format!("{name}: {a_name} {x}, {b_name} {y}"));
        }
    };
    field("bulks", &a.bulks, &b.bulks);
    field("flushes", &a.flushes, &b.flushes);
    field("parked", &a.parked, &b.parked);
    field("published", &a.published, &b.published);
    field("left", &a.left, &b.left);
    let ids: BTreeSet<&u64> = a.properties.keys().chain(b.properties.keys()).collect();
    for id in ids {
        let none = Vec::new();
        let pa = a.properties.get(id).unwrap_or(&none);
        let pb = b.properties.get(id).unwrap_or(&none);
        for i in 0..pa.len().max(pb.len()) {
            let (x, y) = (pa.get(i), pb.get(i));
            if x != y {
                lines.push(format!(
                    "properties of id {id}, copy {i}:\n    {a_name}: {x:?}\n    {b_name}: {y:?}"
                ));
            }
        }
    }
    lines
}
