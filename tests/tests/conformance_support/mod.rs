//! Support of the conformance test: one scenario table run against RabbitMQ and against the
//! in-memory harness.
//!
//! - [`behave`]: what the scenarios' handlers do with each message, and the record of what
//!   they saw;
//! - [`table`]: a scenario, its inputs and its expected outcome;
//! - [`outcome`]: from a run's observations to each scenario's outcome, and their differences;
//! - [`rabbitmq`]: the run against the real broker;
//! - [`harness`]: the run against `asyncworker::testing::TestWorker`;
//! - [`properties`]: a message's properties as comparable text;
//! - [`metrics`]: reading the worker's counters.

pub mod behave;
pub mod harness;
pub mod metrics;
pub mod outcome;
pub mod properties;
pub mod rabbitmq;
pub mod table;
