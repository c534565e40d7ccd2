//! Students created from the `students.create` queue, 50 to a transaction.
//!
//! ```text
//!   producer ──▶ students.create ──▶ create_students() ──▶ one INSERT per bulk, committed
//!                     ▲                  │   │
//!                     │                  │   └── a message that does not decode, fails the
//!                     │                  │       checks or is refused by the database
//!                     │                  │       ──▶ students.create.parking (the rest commit)
//!                     │                  └── the database unavailable: the bulk fails
//!                     │                      ──▶ students.create.retry (5 s) ─┐
//!                     └────────────── three times, then parked ◀─────────────┘
//! ```
//!
//! A message is acked only after its transaction committed. A redelivered message (the
//! worker stopped between the commit and the ack) inserts nothing twice: the email names the
//! student, and an existing one is left as it is.

use asyncworker::prelude::*;
use sqlx::PgPool;

use crate::model::{NewStudent, ValidStudent};
use crate::store::{self, BulkOutcome, StoreError};

/// Creates the students of up to 50 messages in one transaction.
#[route(
    amqp = ["students.create"],
    bulk_size = 50,
    bulk_flush = "200ms",
    declare = true,
    retries = 3,
    retry_delay = "5s",
    dead_letter = "students.create.parking",
    timeout = "30s"
)]
pub async fn create_students(
    pool: State<PgPool>,
    messages: Vec<Message<NewStudent>>,
) -> Result<(), StoreError> {
    // The checks first: a message that fails them is parked and the others go on.
    let mut valid: Vec<(&Message<NewStudent>, ValidStudent)> = Vec::with_capacity(messages.len());
    for m in &messages {
        match m.body().validate() {
            Ok(student) => valid.push((m, student)),
            Err(invalid) => park(m, &invalid.to_string()),
        }
    }
    let students: Vec<ValidStudent> = valid.iter().map(|(_, s)| s.clone()).collect();
    // An Err here is a database that failed: the unmarked messages (all the valid ones)
    // take the retry path, and nothing of the bulk was committed.
    let outcomes = store::insert_bulk(&pool, &students).await?;
    let (mut inserted, mut existed) = (0, 0);
    for ((m, _), outcome) in valid.iter().zip(outcomes) {
        match outcome {
            BulkOutcome::Inserted => inserted += 1,
            BulkOutcome::Existed => existed += 1,
            BulkOutcome::Refused(why) => park(m, &why),
        }
    }
    tracing::info!(inserted, existed, "students created from the queue");
    Ok(())
}

/// Rejects a message: the queue dead-letters it to `students.create.parking`, body and
/// headers as they came, for a person to look at.
fn park(m: &Message<NewStudent>, why: &str) {
    tracing::warn!(email = %m.body().email, %why, "student refused; the message is parked");
    m.reject();
}
