//! A worker whose route declares `capped` (behind `ASYNCWORKER_AMQP_QUEUE_PREFIX`) with no
//! arguments, for the `--check` test of a queue that exists with other ones.

use asyncworker::prelude::*;
use asyncworker_tests::Job;

#[route(amqp = ["capped"], declare = true)]
async fn capped(_m: Message<Job>) {}

asyncworker::main!();
