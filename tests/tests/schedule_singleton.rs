//! `singleton = true` across worker processes sharing a broker (`aw_singleton`, `every = "1s"`):
//! three replicas fire about once per second between them, not three times; the replica
//! holding the lease says `leader` (readiness, metric) and the others `standby`; after the
//! leader is killed, another replica fires within [`HANDOVER_BOUND`]; no run key ever repeats.
//! The replicas are given the three URLs of the test support's cluster, so they spread over its
//! nodes as replicas of a real deployment would.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use asyncworker_tests::cluster::Cluster;
use asyncworker_tests::{Proc, unique_prefix, wait_for};

/// From SIGKILL of the leader to the first run of another replica. The broker drops the dead
/// connection's exclusive queue at once (its socket closes with the process); a standby tries
/// to declare it every 500 ms (`LEASE_POLL`) and then fires at the next whole second: 1.5 s,
/// plus 1.5 s for a loaded machine.
const HANDOVER_BOUND: Duration = Duration::from_secs(3);

/// How long the three replicas run together before the leader is killed.
const WINDOW: Duration = Duration::from_secs(10);

/// One replica of the application `app`, with its own HTTP port for health and metrics.
fn replica(app: &str, cluster: &Cluster) -> Proc {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_singleton"));
    cmd.env("ASYNCWORKER_AMQP_URL", cluster.url_list())
        .env("ASYNCWORKER_APP_NAME", app)
        .env("ASYNCWORKER_HTTP_ENABLED", "true")
        .env("ASYNCWORKER_HTTP_HOST", "127.0.0.1")
        .env("ASYNCWORKER_HTTP_PORT", "0")
        .env("ASYNCWORKER_LOG", "info")
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "5s");
    Proc::spawn(cmd)
}

/// The `RUN <pid> <key>` lines of `proc` so far, as (pid, key).
fn runs(proc: &Proc) -> Vec<(u32, String)> {
    proc.stdout()
        .iter()
        .filter_map(|line| {
            let mut parts = line.strip_prefix("RUN ")?.split(' ');
            Some((parts.next()?.parse().ok()?, parts.next()?.to_owned()))
        })
        .collect()
}

/// Every run of every replica.
fn all_runs(procs: &[Proc]) -> Vec<(u32, String)> {
    procs.iter().flat_map(runs).collect()
}

/// `/health/ready` of the worker at `addr`: status code and JSON body.
async fn ready(addr: std::net::SocketAddr) -> (u16, serde_json::Value) {
    let res = reqwest::get(format!("http://{addr}/health/ready"))
        .await
        .expect("GET /health/ready");
    let status = res.status().as_u16();
    let text = res.text().await.expect("a body");
    (status, serde_json::from_str(&text).expect("a JSON body"))
}

/// The `asyncworker_schedule_leader{route="tick"}` gauge of the worker at `addr`.
async fn leader_gauge(addr: std::net::SocketAddr) -> Option<i64> {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find(|l| l.starts_with("asyncworker_schedule_leader{route=\"tick\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

/// Panics if a run key appears twice among `runs`, naming it and the pids that ran it.
fn assert_keys_unique(runs: &[(u32, String)]) {
    let mut seen: HashMap<&str, u32> = HashMap::new();
    let mut duplicates = Vec::new();
    for (pid, key) in runs {
        if let Some(first) = seen.insert(key, *pid) {
            duplicates.push(format!("{key} (pids {first} and {pid})"));
        }
    }
    assert!(
        duplicates.is_empty(),
        "{} run key(s) repeated: {duplicates:?}",
        duplicates.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_fire_once_and_hand_over_when_the_leader_dies() {
    // Unique per run: replicas of another run (or test) never share the lease.
    let cluster = Cluster::shared().await;
    let app = unique_prefix("singleton");
    let mut procs: Vec<Proc> = (0..3).map(|_| replica(&app, &cluster)).collect();
    let mut addrs = Vec::new();
    for p in &procs {
        addrs.push(p.http_addr(Duration::from_secs(30)).await);
    }

    // Every replica ready, one leading: a standby is ready too.
    let settled = wait_for(Duration::from_secs(30), || {
        let addrs = addrs.clone();
        async move {
            let mut roles = Vec::new();
            for addr in addrs {
                let (status, body) = ready(addr).await;
                if status != 200 {
                    return false;
                }
                roles.push(body["singletons"]["tick"].as_str().unwrap_or("").to_owned());
            }
            roles.iter().filter(|r| *r == "leader").count() == 1
                && roles.iter().filter(|r| *r == "standby").count() == 2
        }
    })
    .await;
    assert!(
        settled,
        "expected three ready replicas, one leader; stderr of the first: {}",
        procs[0].stderr()
    );

    // Ten seconds together: about ten runs, all by the leader.
    let before: Vec<usize> = procs.iter().map(|p| runs(p).len()).collect();
    let start = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let window: Vec<(u32, String)> = procs
        .iter()
        .zip(&before)
        .flat_map(|(p, &n)| runs(p).split_off(n))
        .collect();
    let elapsed = start.elapsed();
    assert!(
        (8..=12).contains(&window.len()),
        "{} runs in {elapsed:?} among three replicas of an `every = \"1s\"` singleton \
         (expected 8..=12, not ~30): {window:?}",
        window.len()
    );
    let mut leaders: Vec<u32> = window.iter().map(|(pid, _)| *pid).collect();
    leaders.sort_unstable();
    leaders.dedup();
    assert_eq!(
        leaders.len(),
        1,
        "runs by more than one replica: {window:?}"
    );
    let leader_pid = leaders[0];
    let leader = procs
        .iter()
        .position(|p| p.pid() == leader_pid)
        .expect("the leader is one of ours");

    // Readiness and the metric say who leads.
    for (i, addr) in addrs.iter().enumerate() {
        let (status, body) = ready(*addr).await;
        let expected = if i == leader { "leader" } else { "standby" };
        assert_eq!(status, 200, "a {expected} is ready: {body}");
        assert_eq!(body["singletons"]["tick"], expected, "replica {i}: {body}");
        let gauge = leader_gauge(*addr).await;
        assert_eq!(gauge, Some(i64::from(i == leader)), "replica {i}'s gauge");
    }

    // SIGKILL: no goodbye to the broker, only the socket closing.
    let killed = Instant::now();
    procs[leader].signal("KILL");
    procs[leader].wait(Duration::from_secs(10)).await;
    let killed_runs = runs(&procs[leader]).len();
    let mut took_over = None;
    while killed.elapsed() < Duration::from_secs(15) {
        if let Some(i) = (0..procs.len()).find(|&i| i != leader && !runs(&procs[i]).is_empty()) {
            took_over = Some((i, killed.elapsed()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (new_leader, handover) = took_over.expect("no replica fired within 15 s of the kill");
    eprintln!(
        "runs in the {WINDOW:?} window: {}; hand-over after SIGKILL: {handover:?}",
        window.len()
    );
    assert!(
        handover <= HANDOVER_BOUND,
        "another replica fired {handover:?} after the leader was killed (bound {HANDOVER_BOUND:?})"
    );

    // A few more ticks: only the new leader fires, and the standby left says so.
    let seen = runs(&procs[new_leader]).len();
    let more = wait_for(Duration::from_secs(10), || {
        let n = runs(&procs[new_leader]).len();
        async move { n >= seen + 3 }
    })
    .await;
    assert!(more, "the new leader stopped firing");
    let standby = (0..procs.len())
        .find(|&i| i != leader && i != new_leader)
        .expect("a third replica");
    assert!(
        runs(&procs[standby]).is_empty(),
        "the standby fired too: {:?}",
        runs(&procs[standby])
    );
    let (_, body) = ready(addrs[new_leader]).await;
    assert_eq!(body["singletons"]["tick"], "leader", "{body}");
    let (_, body) = ready(addrs[standby]).await;
    assert_eq!(body["singletons"]["tick"], "standby", "{body}");

    // No run was lost to a double fire or repeated: every key once, across the whole test.
    assert_eq!(
        runs(&procs[leader]).len(),
        killed_runs,
        "a killed process ran"
    );
    let all = all_runs(&procs);
    assert_keys_unique(&all);
    // A standby's refused polls (405 RESOURCE_LOCKED, twice a second) are not logged as errors.
    for p in &procs {
        let logs = format!("{}{}", p.stdout().join("\n"), p.stderr());
        assert!(
            !logs.contains("RESOURCE_LOCKED"),
            "a replica logged its refused lease polls: {logs}"
        );
    }
    for p in &mut procs {
        if p.pid() != leader_pid {
            p.signal("TERM");
            let status = p.wait(Duration::from_secs(20)).await;
            assert!(status.success(), "a replica failed: {}", p.stderr());
        }
    }
}

/// `aw_singleton` run once with `args` and `url` as its broker, to its end: exit code, stdout.
async fn run_once(args: &[&str], app: &str, url: &str) -> (Option<i32>, Vec<String>) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_singleton"));
    cmd.args(args)
        .env("ASYNCWORKER_AMQP_URL", url)
        .env("ASYNCWORKER_APP_NAME", app);
    let mut proc = Proc::spawn(cmd);
    let status = proc.wait(Duration::from_secs(60)).await;
    (status.code(), proc.stdout())
}

/// `--routes` names the lease; `--check` connects to the broker that would hold it, and fails
/// the route when none answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_and_check_show_the_lease() {
    let cluster = Cluster::shared().await;
    let app = unique_prefix("singleton-check");
    let lease = format!("singleton lease=asyncworker.lease.{app}.tick");
    let (code, out) = run_once(&["--routes"], &app, &cluster.url_list()).await;
    assert_eq!(code, Some(0));
    assert!(out.iter().any(|l| l.contains(&lease)), "{out:?}");

    let (code, out) = run_once(
        &["--check", "--only", "schedule"],
        &app,
        &cluster.url_list(),
    )
    .await;
    assert_eq!(code, Some(0), "{out:?}");
    let reachable = format!("lease asyncworker.lease.{app}.tick: broker reachable");
    assert!(
        out.iter()
            .any(|l| l.starts_with("ok   schedule tick:") && l.contains(&reachable)),
        "{out:?}"
    );

    // Nothing listens on port 1.
    let nowhere = "amqp://guest:guest@127.0.0.1:1/%2f";
    let (code, out) = run_once(&["--check", "--only", "schedule"], &app, nowhere).await;
    assert_eq!(code, Some(1), "{out:?}");
    assert!(
        out.iter().any(|l| l.starts_with("FAIL schedule tick:")
            && l.contains("cannot connect to the broker: 127.0.0.1:1")),
        "{out:?}"
    );
}

/// The pid of the connection holding `queue` exclusively, as `rabbitmqctl` reports it.
fn lease_owner(cluster: &Cluster, queue: &str) -> Option<String> {
    let text = cluster.nodes[0].ctl(&["list_queues", "name", "owner_pid"]);
    text.lines().find_map(|line| {
        let mut f = line.split_whitespace();
        (f.next()? == queue).then(|| f.next().map(str::to_owned))?
    })
}

/// The broker closes the leader's lease connection (as it does for missed heartbeats): the
/// leader stops, the lease goes to whichever replica declares it first (the old leader once
/// reconnected, or the standby), the runs go on within [`HANDOVER_BOUND`], and no run key
/// repeats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_closing_the_leaders_connection_hands_the_lease_over() {
    let cluster = Cluster::shared().await;
    let app = unique_prefix("singleton-close");
    let queue = format!("asyncworker.lease.{app}.tick");
    let procs: Vec<Proc> = (0..2).map(|_| replica(&app, &cluster)).collect();
    let mut addrs = Vec::new();
    for p in &procs {
        addrs.push(p.http_addr(Duration::from_secs(30)).await);
    }
    let one_leader = |addrs: Vec<std::net::SocketAddr>| async move {
        let mut leaders = 0;
        for addr in addrs {
            let (status, body) = ready(addr).await;
            if status != 200 {
                return false;
            }
            leaders += usize::from(body["singletons"]["tick"] == "leader");
        }
        leaders == 1
    };
    assert!(
        wait_for(Duration::from_secs(30), || one_leader(addrs.clone())).await,
        "expected two ready replicas, one leader"
    );
    let running = wait_for(Duration::from_secs(10), || {
        let n = all_runs(&procs).len();
        async move { n >= 2 }
    })
    .await;
    assert!(running, "the leader does not fire");

    let owner = lease_owner(&cluster, &queue).expect("the lease queue and its owner");
    let before = all_runs(&procs).len();
    let closed = Instant::now();
    // Any node closes a connection of the cluster's.
    cluster.nodes[0].ctl(&["close_connection", &owner, "test: the lease is taken away"]);
    let resumed = wait_for(Duration::from_secs(15), || {
        let n = all_runs(&procs).len();
        async move { n > before }
    })
    .await;
    let gap = closed.elapsed();
    assert!(resumed, "no run after the lease connection was closed");
    // The close itself (rabbitmqctl) takes up to a second or two of that.
    assert!(
        gap <= HANDOVER_BOUND + Duration::from_secs(2),
        "the runs resumed {gap:?} after the close"
    );
    let after = all_runs(&procs).len();
    let more = wait_for(Duration::from_secs(10), || {
        let n = all_runs(&procs).len();
        async move { n >= after + 3 }
    })
    .await;
    assert!(more, "the runs did not go on");
    // Both replicas ready again (the old leader reconnected), one leading.
    assert!(
        wait_for(Duration::from_secs(10), || one_leader(addrs.clone())).await,
        "expected two ready replicas, one leader, after the close"
    );
    let all = all_runs(&procs);
    eprintln!(
        "runs resumed {gap:?} after the close; {} runs in all",
        all.len()
    );
    assert_keys_unique(&all);
}
