//! `single_active = true` across replicas, on a quorum queue of the three-node cluster: of three
//! worker processes one consumes and two stand by; stopping the active one (SIGTERM, then the
//! next with SIGKILL) hands the queue to another; every message is handled, and in the order
//! of the queue: merged in time, the first handlings of the ids are increasing.
//!
//! The worker is `aw_single_active` (bulk 1, concurrency 1, default prefetch 128), each replica
//! connected to its own node.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use asyncworker_tests::cluster::Cluster;
use asyncworker_tests::{Broker, Job, Proc, unique_prefix, wait_for, wait_until};

/// Messages published: about 6 s of handling at 2 ms each.
const N: u64 = 3_000;

/// The route's prefetch (asyncworker's default for bulk 1): the most a killed replica can
/// leave handled but unacked.
const PREFETCH: usize = 128;

fn replica(prefix: &str, url: &str) -> Proc {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_single_active"));
    cmd.env("ASYNCWORKER_AMQP_URL", url)
        .env("ASYNCWORKER_AMQP_QUEUE_PREFIX", prefix)
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "20s");
    Proc::spawn(cmd)
}

/// `(micros, id)` of every `seen` line of a replica, in its order.
fn seen(p: &Proc) -> Vec<(u128, u64)> {
    p.stdout()
        .iter()
        .filter_map(|l| {
            let mut f = l.strip_prefix("seen ")?.split(' ');
            let id = f.next()?.parse().ok()?;
            Some((f.next()?.parse().ok()?, id))
        })
        .collect()
}

/// The consumers of `queue` as the broker lists them: (pid in the tag, active).
async fn consumers(cluster: &Arc<Cluster>, queue: &str) -> Vec<(u32, bool)> {
    let (cluster, queue) = (Arc::clone(cluster), queue.to_owned());
    tokio::task::spawn_blocking(move || {
        let out = cluster.nodes[0].ctl(&["list_consumers", "queue_name", "consumer_tag", "active"]);
        out.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                // Tags read `asyncworker:<route>:<pid>:<random>`.
                let pid = f.get(1)?.split(':').nth(2)?.parse().ok()?;
                (f.first() == Some(&queue.as_str())).then(|| (pid, f.get(2) == Some(&"true")))
            })
            .collect()
    })
    .await
    .expect("rabbitmqctl task")
}

/// The one replica (of those still running) that handled messages; panics if several did.
fn active(procs: &[Proc], running: &[usize]) -> usize {
    let busy: Vec<usize> = running
        .iter()
        .copied()
        .filter(|&i| !seen(&procs[i]).is_empty())
        .collect();
    assert_eq!(busy.len(), 1, "replicas {busy:?} all handled messages");
    busy[0]
}

/// Waits until one of `running` has handled `at_least` messages, and checks that it is the
/// only one that handled any and the broker's only active consumer; returns it.
async fn await_active(
    cluster: &Arc<Cluster>,
    queue: &str,
    procs: &[Proc],
    running: &[usize],
    at_least: usize,
) -> usize {
    wait_until(
        Duration::from_secs(30),
        "a replica to take the queue",
        || async { running.iter().any(|&i| seen(&procs[i]).len() >= at_least) },
    )
    .await;
    let i = active(procs, running);
    let listed = consumers(cluster, queue).await;
    assert_eq!(listed.len(), running.len(), "consumers: {listed:?}");
    let on: Vec<u32> = listed.iter().filter(|c| c.1).map(|c| c.0).collect();
    assert_eq!(on, vec![procs[i].pid()], "active consumers: {listed:?}");
    i
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_consumes_and_the_next_takes_over_in_order() {
    let cluster = Cluster::shared().await;
    let prefix = unique_prefix("sac");
    let queue = format!("{prefix}ordered");
    let urls = cluster.urls();
    let mut procs: Vec<Proc> = urls.iter().map(|url| replica(&prefix, url)).collect();
    let attached = wait_for(Duration::from_secs(60), || async {
        consumers(&cluster, &queue).await.len() == 3
    })
    .await;
    let stderr: Vec<String> = procs.iter().map(Proc::stderr).collect();
    assert!(attached, "three consumers did not attach: {stderr:?}");
    let broker = Broker::connect_to(&urls[0]).await;
    broker.publish_json(&queue, &Job::many(N)).await;

    // Three up: one consumes. Stopped gracefully, it hands over what it did not start.
    let mut running = vec![0, 1, 2];
    let first = await_active(&cluster, &queue, &procs, &running, 300).await;
    procs[first].signal("TERM");
    let status = procs[first].wait(Duration::from_secs(30)).await;
    assert!(status.success(), "{status:?}: {}", procs[first].stderr());
    running.retain(|&i| i != first);

    // The next one takes over; killed, its unacked window comes back to the last one.
    let second = await_active(&cluster, &queue, &procs, &running, 300).await;
    procs[second].signal("KILL");
    procs[second].wait(Duration::from_secs(10)).await;
    running.retain(|&i| i != second);
    let last = running[0];
    let all = |procs: &[Proc]| procs.iter().flat_map(seen).collect::<Vec<_>>();
    wait_until(Duration::from_secs(40), "every message handled", || async {
        let ids: HashSet<u64> = all(&procs).iter().map(|s| s.1).collect();
        ids.len() as u64 == N
    })
    .await;
    assert_eq!(active(&procs, &running), last);
    procs[last].signal("TERM");
    procs[last].wait(Duration::from_secs(30)).await;

    // Order: merged in time, each id's first handling comes after every smaller id's.
    let mut merged = all(&procs);
    merged.sort_by_key(|s| s.0);
    let mut firsts = Vec::new();
    let mut known = HashSet::new();
    for (_, id) in &merged {
        if known.insert(*id) {
            firsts.push(*id);
        }
    }
    let out_of_order: Vec<(u64, u64)> = firsts
        .windows(2)
        .filter(|w| w[1] < w[0])
        .map(|w| (w[0], w[1]))
        .take(10)
        .collect();
    assert!(
        out_of_order.is_empty(),
        "handled out of order: {out_of_order:?}"
    );
    assert_eq!(firsts, (0..N).collect::<Vec<_>>(), "lost or unknown ids");

    // Duplicates: none after the graceful stop, at most the prefetch window after the kill.
    let ids = |i: usize| {
        seen(&procs[i])
            .iter()
            .map(|s| s.1)
            .collect::<HashSet<u64>>()
    };
    let after_term = ids(first).intersection(&ids(second)).count();
    let after_kill = ids(second).intersection(&ids(last)).count();
    eprintln!(
        "handled {} times for {N} ids: {after_term} again after SIGTERM, {after_kill} after SIGKILL",
        merged.len()
    );
    assert_eq!(after_term, 0, "a graceful handover re-handles nothing");
    assert!(
        after_kill <= PREFETCH,
        "{after_kill} re-handled after the kill"
    );
    assert_eq!(
        merged.len() as u64,
        N + after_kill as u64,
        "other duplicates"
    );
}
