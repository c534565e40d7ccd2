//! `#[route(...)]`: the key table, one file per backend (its checks and what it adds to the
//! registration), what the queue backends share (the queue list, settle actions, retry policy,
//! consumer registration), what every route's registration shares, and the pipeline joining
//! them.

mod amqp;
mod args;
mod codec;
mod consumer;
mod emit;
mod expand;
mod http;
mod http_describe;
mod publishes;
mod queues;
mod retry;
mod schedule;
mod settle;
mod sqs;
mod sse;
mod topology;

pub(crate) use self::expand::expand;
#[cfg(test)]
pub(crate) use self::expand::try_expand;

#[cfg(test)]
mod tests;
