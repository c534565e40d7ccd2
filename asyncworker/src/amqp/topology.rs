//! Queues a route declares (`declare = true`) or, for `--check`, expects to exist.
//!
//! ```text
//!   publisher ──▶ orders ──▶ handler ──Err──▶ orders.retry (TTL = retry_delay)
//!                   ▲                              │ dead-letters back
//!                   └──────────────────────────────┘
//!                            after the last retry ──▶ orders.parking
//! ```
//!
//! With `retry_delay = ["1s", "30s"]` there is one retry queue per tier (`orders.retry.1s`,
//! `orders.retry.30s`), each dead-lettering back the same way.

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use lapin::{Channel, Connection};

use super::def::QueueType;
use super::field::{int, long};

/// A queue as a route wants it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueueSpec {
    pub(crate) name: String,
    /// What the queue is for, in messages: "queue", "retry queue", "dead-letter queue".
    pub(crate) role: &'static str,
    pub(crate) arguments: FieldTable,
}

/// The queues of one route's queue: itself, its retry queue and its parking queue.
#[derive(Debug, Clone)]
pub(crate) struct Topology {
    pub(crate) declare: bool,
    pub(crate) queues: Vec<QueueSpec>,
}

impl Topology {
    pub(crate) fn new(
        queue: &str,
        queue_type: QueueType,
        declare: bool,
        retry: Option<(&str, u64)>,
        dead_letter: Option<&str>,
    ) -> Topology {
        let spec = |name: &str, role, arguments| QueueSpec {
            name: name.to_owned(),
            role,
            arguments,
        };
        let mut queues = vec![spec(queue, "queue", typed(queue_type))];
        if let Some((retry_queue, ttl_ms)) = retry {
            let arguments = retry_arguments(queue, queue_type, ttl_ms);
            queues.push(spec(retry_queue, "retry queue", arguments));
        }
        if let Some(parking) = dead_letter {
            queues.push(spec(parking, "dead-letter queue", typed(queue_type)));
        }
        Topology { declare, queues }
    }

    /// One more retry tier of `queue`: `name` holds messages for `ttl_ms` (see `new`).
    pub(crate) fn add_retry_tier(
        &mut self,
        queue: &str,
        queue_type: QueueType,
        name: &str,
        ttl_ms: u64,
    ) {
        self.queues.push(QueueSpec {
            name: name.to_owned(),
            role: "retry queue",
            arguments: retry_arguments(queue, queue_type, ttl_ms),
        });
    }

    /// Declares every queue (durable) on `channel`. A queue that exists with other arguments
    /// makes the broker close the channel; the error says which queue and why.
    pub(crate) async fn declare(&self, channel: &Channel) -> Result<(), String> {
        for q in &self.queues {
            channel
                .queue_declare(
                    q.name.as_str().into(),
                    QueueDeclareOptions {
                        durable: true,
                        ..QueueDeclareOptions::default()
                    },
                    q.arguments.clone(),
                )
                .await
                .map_err(|e| {
                    let hint = if e.to_string().contains("PRECONDITION_FAILED") {
                        ": it exists with other arguments; delete it or change the route's options"
                    } else {
                        ""
                    };
                    format!("cannot declare {} `{}`{hint}: {e}", q.role, q.name)
                })?;
        }
        Ok(())
    }
}

/// The arguments every queue of the route gets: its type.
fn typed(queue_type: QueueType) -> FieldTable {
    let mut args = FieldTable::default();
    // Classic is the broker's default: leaving the argument out keeps queues declared
    // elsewhere without it equivalent.
    if queue_type == QueueType::Quorum {
        args.insert("x-queue-type".into(), long(queue_type.as_str()));
    }
    args
}

/// A retry queue holds each message for `ttl_ms`, then dead-letters it back to `queue`
/// through the default exchange.
fn retry_arguments(queue: &str, queue_type: QueueType, ttl_ms: u64) -> FieldTable {
    let mut args = typed(queue_type);
    args.insert("x-message-ttl".into(), int(ttl_ms));
    args.insert("x-dead-letter-exchange".into(), long(""));
    args.insert("x-dead-letter-routing-key".into(), long(queue));
    if queue_type == QueueType::Quorum {
        // Quorum queues dead-letter at most once unless asked: a message on its way back
        // from the retry queue must not be lost. RabbitMQ honours at-least-once only with
        // `reject-publish` overflow, and silently falls back to at-most-once without it.
        args.insert("x-dead-letter-strategy".into(), long("at-least-once"));
        args.insert("x-overflow".into(), long("reject-publish"));
    }
    args
}

/// `Some((ready messages, consumers))` if `queue` exists, `None` if not. Uses a channel of its
/// own: a passive declare of a missing queue makes the broker close the channel.
pub(crate) async fn inspect(conn: &Connection, queue: &str) -> Result<Option<(u32, u32)>, String> {
    let channel = conn
        .create_channel()
        .await
        .map_err(|e| format!("cannot open a channel: {e}"))?;
    let result = channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await;
    match result {
        Ok(q) => {
            let _ = channel.close(200, "checked".into()).await;
            Ok(Some((q.message_count(), q.consumer_count())))
        }
        Err(e) if e.to_string().contains("NOT_FOUND") => Ok(None),
        Err(e) => Err(format!("cannot inspect queue `{queue}`: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lapin::types::AMQPValue;

    #[test]
    fn retry_queue_dead_letters_back_to_its_queue() {
        let t = Topology::new(
            "orders",
            QueueType::Quorum,
            true,
            Some(("orders.retry", 1500)),
            Some("orders.parking"),
        );
        let names: Vec<&str> = t.queues.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["orders", "orders.retry", "orders.parking"]);
        let retry = t.queues[1].arguments.inner();
        assert_eq!(
            retry.get("x-message-ttl"),
            Some(&AMQPValue::LongLongInt(1500))
        );
        assert_eq!(
            retry.get("x-dead-letter-routing-key"),
            Some(&long("orders"))
        );
        assert_eq!(retry.get("x-dead-letter-exchange"), Some(&long("")));
        assert_eq!(
            retry.get("x-dead-letter-strategy"),
            Some(&long("at-least-once"))
        );
        assert_eq!(
            t.queues[2].arguments.inner().get("x-queue-type"),
            Some(&long("quorum"))
        );
    }

    #[test]
    fn classic_queues_carry_no_type_argument() {
        let t = Topology::new("jobs", QueueType::Classic, true, None, None);
        assert_eq!(t.queues.len(), 1);
        assert!(t.queues[0].arguments.inner().is_empty());
    }
}
