//! `rabbitmqctl` from tests: run to its end (bounded), and vhosts that live for one test.

/// Runs `rabbitmqctl ARGS` (bounded by `timeout(1)`) on the blocking pool; panics on failure;
/// its stdout.
pub async fn rabbitmqctl(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || rabbitmqctl_blocking(&args))
        .await
        .expect("rabbitmqctl task panicked")
}

/// [`rabbitmqctl`] on the calling thread.
pub fn rabbitmqctl_blocking(args: &[String]) -> String {
    let out = std::process::Command::new("timeout")
        .arg("60")
        .arg("rabbitmqctl")
        .args(args)
        .output()
        .expect("cannot run rabbitmqctl");
    assert!(
        out.status.success(),
        "rabbitmqctl {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A vhost created for one test and deleted when the guard drops, even if the test failed.
pub struct TempVhost(String);

impl TempVhost {
    /// Creates vhost `name` and grants `guest` everything on it.
    pub async fn create(name: &str) -> TempVhost {
        rabbitmqctl(&["-q", "add_vhost", name]).await;
        let guard = TempVhost(name.to_owned());
        rabbitmqctl(&[
            "-q",
            "set_permissions",
            "-p",
            name,
            "guest",
            ".*",
            ".*",
            ".*",
        ])
        .await;
        guard
    }
}

impl Drop for TempVhost {
    fn drop(&mut self) {
        let out = std::process::Command::new("timeout")
            .args(["60", "rabbitmqctl", "-q", "delete_vhost", &self.0])
            .output();
        if !matches!(&out, Ok(o) if o.status.success()) {
            eprintln!("could not delete the test vhost {}: {out:?}", self.0);
        }
    }
}
