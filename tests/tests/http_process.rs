//! The HTTP server of a worker process (`aw_http`): SIGTERM with requests in flight, and
//! memory that stays bounded under 10 MB bodies.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use asyncworker_tests::Proc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Starts `aw_http` on a free port and returns it with its address (from its log line).
async fn start(extra: &[(&str, &str)]) -> (Proc, SocketAddr) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_http"));
    cmd.env("ASYNCWORKER_HTTP_PORT", "0")
        .env("ASYNCWORKER_LOG", "info")
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "10s");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let proc = Proc::spawn(cmd);
    let addr = proc.http_addr(Duration::from_secs(20)).await;
    (proc, addr)
}

async fn wait_for_lines(proc: &Proc, prefix: &str, n: usize) {
    let start = Instant::now();
    while proc
        .stdout()
        .iter()
        .filter(|l| l.starts_with(prefix))
        .count()
        < n
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "expected {n} `{prefix}` lines; stdout: {:?}",
            proc.stdout()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_completes_requests_in_flight_and_closes_idle_connections() {
    let (mut proc, addr) = start(&[]).await;
    let client = reqwest::Client::new();

    // An idle keep-alive connection, after one request.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    // Five slow requests in flight.
    let mut inflight = Vec::new();
    for id in 0..5 {
        let c = client.clone();
        inflight.push(tokio::spawn(async move {
            let res = c
                .get(format!("http://{addr}/slow?id={id}&ms=1500"))
                .send()
                .await?;
            let status = res.status().as_u16();
            Ok::<_, reqwest::Error>((status, res.text().await?, Instant::now()))
        }));
    }
    wait_for_lines(&proc, "BEGIN ", 5).await;
    proc.signal("TERM");
    let signalled = Instant::now();

    // The idle connection is closed at once, long before the slow requests finish.
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf))
        .await
        .expect("the idle keep-alive connection was not closed");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    let idle_closed_after = signalled.elapsed();

    // New connections are refused once the listener is gone.
    let refused = async {
        let start = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return true;
            }
            if start.elapsed() > Duration::from_secs(5) {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    assert!(refused.await, "the listener still accepts after SIGTERM");

    for (id, task) in inflight.into_iter().enumerate() {
        let (status, body, done_at) = task.await.unwrap().expect("an in-flight request failed");
        assert_eq!((status, body), (200, format!("done {id}")));
        assert!(done_at > signalled + idle_closed_after);
    }
    let status = proc.wait(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
    assert_eq!(
        proc.stdout()
            .iter()
            .filter(|l| l.starts_with("DONE "))
            .count(),
        5
    );
}

/// Peak resident memory of a process, in KiB.
fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Sends a 10 MB body (announced or chunked) to `/echo` and returns the status, if any.
async fn send_10mb(addr: SocketAddr, chunked: bool) -> Option<u16> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        let head = if chunked {
            "POST /echo HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n".to_owned()
        } else {
            format!(
                "POST /echo HTTP/1.1\r\nhost: t\r\ncontent-length: {}\r\n\r\n",
                10 * 1024 * 1024
            )
        };
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b'z'; 64 * 1024];
        for _ in 0..160 {
            if chunked {
                wr.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
            }
            wr.write_all(&chunk).await?;
            if chunked {
                wr.write_all(b"\r\n").await?;
            }
        }
        if chunked {
            wr.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let status = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            break head.split(' ').nth(1).and_then(|s| s.parse().ok());
        }
        match tokio::time::timeout(Duration::from_secs(10), rd.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break None,
        }
    };
    let _ = writer.await;
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_megabyte_bodies_are_refused_with_bounded_memory() {
    let (proc, addr) = start(&[]).await;
    let client = reqwest::Client::new();
    // Warm up the allocator and the server's buffers with a body just under the 2 MiB limit.
    let res = client
        .post(format!("http://{addr}/echo"))
        .body(vec![b'a'; 2 * 1024 * 1024 - 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.text().await.unwrap(), (2 * 1024 * 1024 - 1).to_string());
    let before = vm_hwm_kib(proc.pid());

    for round in 0..3 {
        assert_eq!(
            send_10mb(addr, false).await,
            Some(413),
            "Content-Length, round {round}"
        );
        assert_eq!(
            send_10mb(addr, true).await,
            Some(413),
            "chunked, round {round}"
        );
    }
    let after = vm_hwm_kib(proc.pid());
    assert!(
        after.saturating_sub(before) < 4 * 1024,
        "peak RSS grew by {} KiB after six 10 MB bodies (before {before} KiB, after {after} KiB)",
        after.saturating_sub(before)
    );
    // Still serving.
    let res = client.get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "hello");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_flag_lists_http_routes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aw_http"))
        .arg("--routes")
        .env("ASYNCWORKER_HTTP_PORT", "0")
        .output()
        .expect("aw_http --routes");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for route in [
        "http  echo                 POST /echo  (tests/src/bin/aw_http.rs:",
        "http  hello                GET /  (tests/src/bin/aw_http.rs:",
        "http  slow                 GET /slow  (tests/src/bin/aw_http.rs:",
    ] {
        assert!(text.contains(route), "missing `{route}` in\n{text}");
    }
}
