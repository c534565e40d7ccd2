//! The web-API-plus-consumers-plus-crons template, on asyncworker and PostgreSQL: one codebase
//! that serves a JSON API over students, creates students from a RabbitMQ queue in bulk, and
//! runs scheduled jobs that update them.
//!
//! ```text
//!   HTTP clients ──▶ /students, /students/{id}, /students/{id}/deactivate ─┐
//!   producers ──▶ students.create ──▶ create_students() (50 per transaction) ├──▶ PostgreSQL
//!   every 10 s: tidy_names() ─ every hour: report() (one replica each) ─────┘
//! ```
//!
//! - [`db`]: the pool (a startup hook opens it and runs the migrations, a shutdown hook closes
//!   it) and the readiness check on the database.
//! - [`model`]: the student, the input and its checks.
//! - [`store`]: every query.
//! - [`api`], [`consume`], [`jobs`]: the HTTP routes, the queue's route, the schedules.
//!
//! Run it all in one process, or each part apart (the template's `run`, `consume` and
//! `schedule` commands):
//!
//! ```sh
//! cargo run -p students                          # everything
//! cargo run -p students -- --only http           # the API (scale it apart)
//! cargo run -p students -- --only amqp           # the consumer
//! cargo run -p students -- --only schedule       # the jobs
//! ```
//!
//! The routes and hooks live in this library so that the tests in `tests/` reach them;
//! `src/main.rs` is the binary.

pub mod api;
pub mod consume;
pub mod db;
pub mod jobs;
pub mod model;
pub mod store;
