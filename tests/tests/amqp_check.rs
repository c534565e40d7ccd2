//! `--check` for AMQP routes against the real broker: every queue a route consumes, retries
//! through or parks messages in must exist, unless the route declares it; an unreachable broker
//! fails the check. In process with [`Worker::check`], and on a real binary for the exit codes.

use asyncworker::Worker;
use asyncworker::prelude::*;
use asyncworker_tests::{Broker, Job, Proc, settings, unique_prefix};

mod retrying {
    use super::*;

    #[route(amqp = ["work"], retries = 2, retry_delay = "1s", dead_letter = "work.parking")]
    async fn retrying(_m: Message<Job>) {}
}

mod declaring {
    use super::*;

    #[route(amqp = ["fresh"], declare = true, retries = 1, dead_letter = "fresh.parking")]
    async fn declaring(_m: Message<Job>) {}
}

async fn check(module: &str, settings: asyncworker::Settings) -> asyncworker::runtime::CheckReport {
    Worker::new(settings)
        .only_module(&format!("{}::{module}", module_path!()))
        .check()
        .await
        .expect("routes are valid")
}

fn amqp_line(report: &asyncworker::runtime::CheckReport) -> &asyncworker::runtime::CheckItem {
    report
        .items()
        .iter()
        .find(|i| i.kind == "amqp")
        .unwrap_or_else(|| panic!("no amqp item in {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_queues_fail_the_check_until_they_exist() {
    let prefix = unique_prefix("check-missing");
    let report = check("retrying", settings(&prefix)).await;
    let item = amqp_line(&report);
    assert!(!report.is_ok() && !item.ok, "{report}");
    for q in ["work", "work.retry", "work.parking"] {
        assert!(
            item.line.contains(&format!("`{prefix}{q}` MISSING")),
            "{q} should be reported missing: {}",
            item.line
        );
    }

    let broker = Broker::connect().await;
    for q in ["work", "work.retry", "work.parking"] {
        broker.declare(&format!("{prefix}{q}")).await;
    }
    broker
        .publish_json(&format!("{prefix}work"), &Job::many(2))
        .await;
    let report = check("retrying", settings(&prefix)).await;
    let item = amqp_line(&report);
    assert!(report.is_ok() && item.ok, "{report}");
    assert!(
        item.line.contains(&format!(
            "queue `{prefix}work` exists (2 ready, 0 consumers)"
        )),
        "{}",
        item.line
    );
    assert_eq!(
        broker.ready(&format!("{prefix}work")).await,
        2,
        "the check consumes nothing"
    );
    for q in ["work", "work.retry", "work.parking"] {
        broker.delete(&format!("{prefix}{q}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_a_route_declares_may_be_missing() {
    let prefix = unique_prefix("check-declare");
    let report = check("declaring", settings(&prefix)).await;
    let item = amqp_line(&report);
    assert!(report.is_ok(), "{report}");
    assert!(
        item.line
            .contains(&format!("queue `{prefix}fresh` missing, declared at start")),
        "{}",
        item.line
    );
    // The check itself declares nothing.
    assert_eq!(
        asyncworker_tests::broker_counts_async(&format!("{prefix}fresh")).await,
        None,
        "--check must not create queues"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_broker_fails_the_check() {
    // Bound and never listening: connections to it are refused.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().unwrap()).expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let mut s = settings(&unique_prefix("check-down"));
    s.amqp_urls = vec![format!("amqp://guest:guest@127.0.0.1:{port}/%2f")];
    let report = check("retrying", s).await;
    let item = amqp_line(&report);
    assert!(!item.ok, "{report}");
    assert!(
        item.line.contains("cannot connect to the broker") && item.line.contains(&port.to_string()),
        "{}",
        item.line
    );
}

/// The flag on a real binary: exit 1 while the queue is missing, 0 once it exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_flag_exit_codes_follow_the_queues() {
    let prefix = unique_prefix("check-bin");
    let run = || Proc::check_amqp(env!("CARGO_BIN_EXE_aw_mixed"), &prefix);
    let (code, out) = run().await;
    assert_eq!(code, Some(1), "{out:?}");
    assert!(
        out.iter()
            .any(|l| l.starts_with("FAIL amqp jobs:") && l.contains("MISSING")),
        "{out:?}"
    );
    assert_eq!(
        out.last().map(String::as_str),
        Some("check: 0 ok, 1 failed")
    );

    let broker = Broker::connect().await;
    broker.declare(&format!("{prefix}jobs")).await;
    let (code, out) = run().await;
    assert_eq!(code, Some(0), "{out:?}");
    assert!(
        out.iter().any(|l| l.starts_with("ok   amqp jobs:")),
        "{out:?}"
    );
    broker.delete(&format!("{prefix}jobs")).await;
}

mod tiered {
    use super::*;

    #[route(amqp = ["tiered"], retries = 3, retry_delay = ["1s", "1m"], dead_letter = "tiered.parking")]
    async fn tiered(_m: Message<Job>) {}
}

/// Every tier's retry queue is checked, each by its name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_retry_tier_is_checked() {
    let prefix = unique_prefix("check-tiers");
    let report = check("tiered", settings(&prefix)).await;
    let item = amqp_line(&report);
    assert!(!report.is_ok() && !item.ok, "{report}");
    for q in ["tiered.retry.1s", "tiered.retry.1m"] {
        assert!(
            item.line.contains(&format!("`{prefix}{q}` MISSING")),
            "{q} should be reported missing: {}",
            item.line
        );
    }
    assert!(
        !item.line.contains(&format!("`{prefix}tiered.retry`")),
        "no single retry queue with tiers: {}",
        item.line
    );
}
