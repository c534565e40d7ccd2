//! systemd readiness on a real worker process: with `NOTIFY_SOCKET` set, the worker sends
//! `READY=1` once it runs and `STOPPING=1` when SIGTERM starts the drain.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use asyncworker_tests::Proc;

/// A datagram socket in a directory of its own under /tmp, removed on drop.
struct NotifySocket {
    dir: PathBuf,
    path: PathBuf,
    socket: UnixDatagram,
}

impl NotifySocket {
    fn bind() -> NotifySocket {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        // Short, unique: a unix socket path is limited to 107 bytes.
        let dir = PathBuf::from(format!("/tmp/aw-notify-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).expect("create the socket's directory");
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("read timeout");
        NotifySocket { dir, path, socket }
    }

    /// Datagrams received until one equals `want` or `limit` passes; panics on timeout.
    fn recv_until(&self, want: &str, limit: Duration, proc: &Proc) -> Vec<String> {
        let start = Instant::now();
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        loop {
            match self.socket.recv(&mut buf) {
                Ok(n) => {
                    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let done = msg == want;
                    got.push(msg);
                    if done {
                        return got;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) => panic!("recv on the notify socket: {e}"),
            }
            assert!(
                start.elapsed() < limit,
                "no {want:?} within {limit:?}; received {got:?}; stdout: {:?}; stderr: {}",
                proc.stdout(),
                proc.stderr()
            );
        }
    }

    /// Everything already queued, without waiting beyond one read timeout.
    fn pending(&self) -> Vec<String> {
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        while let Ok(n) = self.socket.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        got
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_notifies_ready_after_startup_and_stopping_on_sigterm() {
    let notify = NotifySocket::bind();
    // The schedule-only worker needs no broker; its startup hook prints `HOOK RAN started`.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_aw_schedule"));
    cmd.args(["--only", "schedule"])
        .env("NOTIFY_SOCKET", &notify.path)
        .env("ASYNCWORKER_LOG", "info")
        .env("ASYNCWORKER_SHUTDOWN_TIMEOUT", "10s");
    let mut proc = Proc::spawn(cmd);

    let before = tokio::task::block_in_place(|| {
        notify.recv_until("READY=1", Duration::from_secs(20), &proc)
    });
    assert_eq!(before, ["READY=1"], "READY must be the first message");
    // READY comes after the startup hooks: the hook's line is (or is about to be) on stdout.
    let hook_ran = asyncworker_tests::wait_for(Duration::from_secs(5), || {
        let ran = proc.stdout().iter().any(|l| l == "HOOK RAN started");
        async move { ran }
    })
    .await;
    assert!(hook_ran, "stdout: {:?}", proc.stdout());
    // Nothing more while the worker runs: STOPPING only comes with the shutdown.
    let idle = tokio::task::block_in_place(|| notify.pending());
    assert!(idle.is_empty(), "sent before any signal: {idle:?}");

    proc.signal("TERM");
    let after = tokio::task::block_in_place(|| {
        notify.recv_until("STOPPING=1", Duration::from_secs(20), &proc)
    });
    assert_eq!(after, ["STOPPING=1"]);
    let status = proc.wait(Duration::from_secs(20)).await;
    assert_eq!(status.code(), Some(0), "stderr: {}", proc.stderr());
}
