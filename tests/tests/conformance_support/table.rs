//! The scenario table: what each route is sent, and what must become of it.

use asyncworker::amqp::{AMQPValue, FieldTable};

use super::behave::Cmd;
use super::outcome::{Fate, Outcome};

/// One route of the `scenarios` module, its queues, its inputs and the expected outcome.
pub struct Scenario {
    /// The route's name (its fn's name).
    pub route: String,
    /// The queues the route consumes, without the run's queue prefix.
    pub queues: Vec<String>,
    /// The route's `retry_delay` in ms when it has `retries`: `<queue>.retry` holds copies that
    /// long.
    pub retry_ttl_ms: Option<u64>,
    /// The route's `dead_letter` queue.
    pub parking: Option<String>,
    /// The route's own queues are quorum queues.
    pub quorum: bool,
    /// A topic exchange (name without the prefix) bound to the first queue with a pattern.
    pub exchange: Option<(String, String)>,
    /// The messages, in the order they are published.
    pub inputs: Vec<Input>,
    pub expect: Outcome,
}

/// One message of a scenario.
pub struct Input {
    pub queue: String,
    /// Published with this routing key to the scenario's exchange, not to the queue.
    pub routing_key: Option<String>,
    pub body: Vec<u8>,
}

impl Scenario {
    pub fn new(route: &str, queues: &[&str]) -> Scenario {
        Scenario {
            route: route.to_owned(),
            queues: queues.iter().map(|q| (*q).to_owned()).collect(),
            retry_ttl_ms: None,
            parking: None,
            quorum: false,
            exchange: None,
            inputs: Vec::new(),
            expect: Outcome::default(),
        }
    }

    /// The route retries through `<queue>.retry` after `ttl_ms` and parks in `parking`.
    pub fn retries(mut self, ttl_ms: u64, parking: Option<&str>) -> Scenario {
        self.retry_ttl_ms = Some(ttl_ms);
        self.parking = parking.map(str::to_owned);
        self
    }

    /// The route's queues (consumed, retry, parking) are quorum queues, as `declare = true,
    /// queue_type = "quorum"` would make them; the rejected and `.out` ones stay classic.
    pub fn quorum(mut self) -> Scenario {
        self.quorum = true;
        self
    }

    /// A topic exchange `name`, bound to the first queue with `pattern`.
    pub fn topic(mut self, name: &str, pattern: &str) -> Scenario {
        self.exchange = Some((name.to_owned(), pattern.to_owned()));
        self
    }

    /// Sends `cmd` to `queue`; each of its deliveries must meet the fates of `expect`, in order.
    pub fn send(self, queue: &str, cmd: Cmd, expect: &[Fate]) -> Scenario {
        let body = serde_json::to_vec(&cmd).expect("a Cmd serializes");
        self.input(queue, cmd.id, body, expect)
    }

    /// Sends `cmd` to the exchange with `routing_key` (it must reach the first queue).
    pub fn send_via(self, routing_key: &str, cmd: Cmd, expect: &[Fate]) -> Scenario {
        let queue = self.queues[0].clone();
        let mut s = self.send(&queue, cmd, expect);
        let last = s.inputs.last_mut().expect("just sent");
        last.routing_key = Some(routing_key.to_owned());
        s
    }

    /// Sends `text` as it is (a body that does not decode into a `Cmd`, naming `id=<id>`).
    pub fn send_raw(self, queue: &str, id: u64, text: &str, expect: &[Fate]) -> Scenario {
        assert_eq!(super::outcome::id_of(text.as_bytes()), Some(id), "{text}");
        self.input(queue, id, text.as_bytes().to_vec(), expect)
    }

    fn input(mut self, queue: &str, id: u64, body: Vec<u8>, expect: &[Fate]) -> Scenario {
        assert!(
            self.queues.iter().any(|q| q == queue),
            "{queue} is not a queue of {}",
            self.route
        );
        let clash = self.expect.fates.insert(id, expect.to_vec());
        assert!(clash.is_none(), "{}: id {id} sent twice", self.route);
        self.inputs.push(Input {
            queue: queue.to_owned(),
            routing_key: None,
            body,
        });
        self
    }

    /// The next handler call holds these messages (`queue:id`, `@attempt` after a retry, `r`
    /// when redelivered; any order): only for scenarios whose bulks timing cannot change.
    pub fn bulk(mut self, seen: &[&str]) -> Scenario {
        let mut bulk: Vec<String> = seen.iter().map(|s| (*s).to_owned()).collect();
        bulk.sort();
        self.expect.bulks.get_or_insert_with(Vec::new).push(bulk);
        self
    }

    /// `n` bulks were handed over for `reason` ("size", "deadline").
    pub fn flushes(mut self, reason: &str, n: u64) -> Scenario {
        let flushes = self.expect.flushes.get_or_insert_with(Default::default);
        flushes.insert(reason.to_owned(), n);
        self
    }

    /// Message `id` is parked with these attempt and error headers.
    pub fn parked(mut self, id: u64, attempt: u32, error: &str) -> Scenario {
        self.expect.parked.insert(id, (attempt, error.to_owned()));
        self
    }

    /// The handler published `json` (compared as JSON) to `queue`.
    pub fn published(mut self, queue: &str, json: &str) -> Scenario {
        let value: serde_json::Value = serde_json::from_str(json).expect("JSON");
        self.expect
            .published
            .push((queue.to_owned(), value.to_string()));
        self.expect.published.sort();
        self
    }

    /// Whether `queue` (named without the prefix) is one the route consumes.
    pub fn consumes(&self, queue: &str) -> bool {
        self.queues.iter().any(|q| q == queue)
    }

    /// Whether messages in `queue` still wait for the route: a consumed queue or its retry
    /// queue.
    pub fn holds(&self, queue: &str) -> bool {
        self.consumes(queue)
            || queue
                .strip_suffix(".retry")
                .is_some_and(|q| self.consumes(q))
    }

    /// Every queue a run declares for this route, with its arguments, in the order to
    /// declare them (names with `prefix`): for each consumed queue, `<queue>.rejected`, the
    /// queue itself (dead-lettering what it rejects there, so that a reject is seen), its
    /// retry queue (as `declare = true` would make it) and `<queue>.out` for what the handler
    /// publishes; then the parking queue.
    pub fn declarations(&self, prefix: &str) -> Vec<(String, FieldTable)> {
        let mut out = Vec::new();
        for q in &self.queues {
            let queue = format!("{prefix}{q}");
            let rejected = format!("{queue}.rejected");
            out.push((rejected.clone(), FieldTable::default()));
            out.push((queue.clone(), self.typed(dead_letter_to(&rejected))));
            if let Some(ttl) = self.retry_ttl_ms {
                let mut args = self.typed(dead_letter_to(&queue));
                args.insert("x-message-ttl".into(), AMQPValue::LongLongInt(ttl as i64));
                if self.quorum {
                    // As `declare = true` makes a quorum retry queue: a copy on its way back
                    // must not be lost.
                    let long = |v: &str| AMQPValue::LongString(v.into());
                    args.insert("x-dead-letter-strategy".into(), long("at-least-once"));
                    args.insert("x-overflow".into(), long("reject-publish"));
                }
                out.push((format!("{queue}.retry"), args));
            }
            out.push((format!("{queue}.out"), FieldTable::default()));
        }
        if let Some(parking) = &self.parking {
            let parking = format!("{prefix}{parking}");
            out.push((parking, self.typed(FieldTable::default())));
        }
        out
    }

    /// `args` with the queue type of the route's own queues (consumed, retry, parking).
    fn typed(&self, mut args: FieldTable) -> FieldTable {
        if self.quorum {
            let quorum = AMQPValue::LongString("quorum".into());
            args.insert("x-queue-type".into(), quorum);
        }
        args
    }
}

/// Arguments that dead-letter through the default exchange to `queue`.
fn dead_letter_to(queue: &str) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString("".into()),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(queue.into()),
    );
    args
}
