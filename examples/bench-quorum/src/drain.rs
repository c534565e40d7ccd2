//! `bench-quorum drain --label L -- CMD ARGS...`: times CMD draining the filled quorum queue.
//!
//! The clock starts when CMD is spawned (in its own process group, with `AMQP_URL`,
//! `BENCH_QUEUE` and `BENCH_N` set) and stops when the queue holds no message, ready or
//! unacked. That is read inside the broker: one `rabbitmqctl eval` asks the queue's Raft
//! leader every 20 ms for `rabbit_fifo:query_messages_total` (the queue metrics
//! `list_queues` shows are only refreshed every few seconds for quorum queues, which is why
//! the shared harness's watcher cannot be used). Then the group is stopped (SIGTERM, SIGKILL
//! after 3 s) and one `RESULT key=value ...` line is printed.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lapin::{Connection, ConnectionProperties};

use crate::fill::depth;
use crate::{BoxError, env_num, env_or};

/// Linux's `USER_HZ`: the unit of the CPU times in `/proc/<pid>/stat`.
const TICKS_PER_S: f64 = 100.0;

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// The in-broker watcher: prints `ARMED`, `FIRST` (fewer than n left) and `DONE` (none left)
/// with the broker's `os:system_time(microsecond)`, the clock `now_us` reads too.
fn watcher(
    queue: &str,
    n: u64,
    timeout_s: u64,
) -> Result<(Child, mpsc::Receiver<(String, i64)>), BoxError> {
    let vhost = env_or("BENCH_VHOST", "/");
    let max_polls = timeout_s * 50 + 50;
    let expr = format!(
        "{{ok, Q}} = rabbit_amqqueue:lookup(rabbit_misc:r(<<\"{vhost}\">>, queue, <<\"{queue}\">>)), \
         S = amqqueue:get_pid(Q), \
         Total = fun() -> {{ok, {{_, T}}, _}} = ra:leader_query(S, fun rabbit_fifo:query_messages_total/1), T end, \
         Now = fun() -> os:system_time(microsecond) end, \
         io:format(\"ARMED ~p~n\", [Now()]), \
         Loop = fun L(I, First) -> T = Total(), N = Now(), \
           F = case First of false when T < {n} -> io:format(\"FIRST ~p~n\", [N]), true; _ -> First end, \
           if T =:= 0 -> io:format(\"DONE ~p~n\", [N]); \
              I >= {max_polls} -> io:format(\"TIMEOUT ~p~n\", [N]); \
              true -> timer:sleep(20), L(I + 1, F) end end, \
         Loop(0, false)."
    );
    let mut child = Command::new(env_or("RABBITMQCTL", "rabbitmqctl"))
        .arg("eval")
        .arg(expr)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let out = child.stdout.take().ok_or("watcher stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let mut f = line.split_whitespace();
            let (Some(tag), Some(Ok(t))) = (f.next(), f.next().map(str::parse)) else {
                eprintln!("[watcher] {line}");
                continue;
            };
            if tx.send((tag.to_owned(), t)).is_err() {
                break;
            }
        }
    });
    Ok((child, rx))
}

/// User + system CPU seconds of every live process in process group `pgid`.
fn group_cpu_s(pgid: u32) -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let ticks: u64 = dir
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| {
            // After the command name: state ppid pgrp ... utime(12th) stime(13th).
            let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            (f.get(2)?.parse::<u32>().ok()? == pgid)
                .then(|| Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?))
                .flatten()
        })
        .sum();
    ticks as f64 / TICKS_PER_S
}

/// SIGTERM to the group, SIGKILL if it is still there after `grace`.
fn stop_group(child: &mut Child, grace: Duration) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
    let start = Instant::now();
    while start.elapsed() < grace {
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
}

/// (ready, consumers) of the queue, on a connection of its own.
async fn counts(url: &str, queue: &str) -> Result<(u32, u32), BoxError> {
    let conn = Connection::connect(url, ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    let counts = depth(&ch, queue).await;
    conn.close(200, "bye".into()).await.ok();
    counts
}

/// `bench-quorum drain`; returns whether the run was good.
pub async fn run(label: &str, cmd: &[String]) -> Result<bool, BoxError> {
    let url = env_or("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f");
    let queue = env_or("BENCH_QUEUE", "aw.bench.quorum");
    let n: u64 = env_num("BENCH_N", "200000")?;
    let timeout_s: u64 = env_num("BENCH_TIMEOUT_S", "300")?;
    let (ready, consumers) = counts(&url, &queue).await?;
    if u64::from(ready) != n || consumers != 0 {
        return Err(
            format!("queue not filled: ready={ready} (want {n}) consumers={consumers}").into(),
        );
    }
    let (mut watch, events) = watcher(&queue, n, timeout_s)?;
    match events.recv_timeout(Duration::from_secs(30)) {
        Ok((tag, _)) if tag == "ARMED" => {}
        other => {
            stop_group(&mut watch, Duration::from_secs(1));
            return Err(format!("the watcher did not arm: {other:?}").into());
        }
    }
    let log = std::fs::File::create(env_or(
        "BENCH_CONSUMER_LOG",
        "/tmp/bench-quorum-consumer.log",
    ))?;
    let t0 = now_us();
    let mut consumer = Command::new(&cmd[0])
        .args(&cmd[1..])
        .env("AMQP_URL", &url)
        .env("BENCH_QUEUE", &queue)
        .env("BENCH_N", n.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .process_group(0)
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(timeout_s);
    let (mut first, mut done, mut status) = (None, None, "ok".to_owned());
    let mut cpu_s = 0.0f64;
    let mut next_sample = Instant::now();
    while done.is_none() {
        if Instant::now() >= next_sample {
            cpu_s = cpu_s.max(group_cpu_s(consumer.id()));
            next_sample = Instant::now() + Duration::from_millis(250);
        }
        if Instant::now() >= deadline {
            status = "timeout".into();
            break;
        }
        if let Ok(Some(exit)) = consumer.try_wait() {
            status = format!("consumer_exited({exit})").replace(' ', "_");
            break;
        }
        match events.recv_timeout(Duration::from_millis(50)) {
            Ok((tag, t)) if tag == "FIRST" => first = Some(t),
            Ok((tag, t)) if tag == "DONE" => done = Some(t),
            Ok((tag, _)) => {
                status = format!("watcher_{tag}");
                break;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                status = "watcher_gone".into();
                break;
            }
        }
    }
    cpu_s = cpu_s.max(group_cpu_s(consumer.id()));
    stop_group(&mut consumer, Duration::from_secs(3));
    stop_group(&mut watch, Duration::from_secs(1));
    status = verify_drained(&url, &queue, status).await?;
    let secs = |t: Option<i64>| t.map(|t| (t - t0) as f64 / 1e6);
    let total_s = secs(done);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "RESULT label={label} n={n} total_s={} rate={} first_s={} cpu_s={cpu_s:.2} \
         cpu_us_per_msg={:.1} loadavg={} status={status}",
        total_s.map_or("-".into(), |s| format!("{s:.3}")),
        total_s.map_or("-".into(), |s| format!("{:.0}", n as f64 / s)),
        secs(first).map_or("-".into(), |s| format!("{s:.3}")),
        cpu_s * 1e6 / n as f64,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join("/"),
    );
    Ok(status == "ok")
}

/// Once the consumer's channels are gone (its unacked messages back in the queue), the queue
/// must be empty: a run that lost or left messages is not a result.
async fn verify_drained(url: &str, queue: &str, status: String) -> Result<String, BoxError> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (ready, consumers) = counts(url, queue).await?;
        if consumers == 0 {
            return Ok(match (status.as_str(), ready) {
                ("ok", 0) => status,
                ("ok", left) => format!("not_drained(ready_after_stop={left})"),
                _ => status,
            });
        }
        if Instant::now() >= deadline {
            return Ok(format!("{status}+consumers_left({consumers})"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
