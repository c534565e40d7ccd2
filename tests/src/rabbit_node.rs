//! A private RabbitMQ node started from the machine's `rabbitmq-server`: its own node name,
//! ports, config file, data directory and Erlang cookie under a temp directory, stopped when
//! it drops (panics included). The shared node on 5672 is never touched. The TLS node
//! ([`crate::tls_broker`]) and the three-node cluster ([`crate::cluster`]) are made of these.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Where Debian's package puts the scripts; called directly, not through the `/usr/sbin`
/// wrapper, which would switch to the `rabbitmq` user and its home (the shared node's cookie).
const SCRIPTS: &str = "/usr/lib/rabbitmq/bin";

/// How long a node may take to boot (on a busy two-core machine, three booting at once).
const BOOT_LIMIT: Duration = Duration::from_secs(120);

/// What a node is made of besides its name and ports.
pub struct NodeSpec<'a> {
    /// The name's first part: `aw-<kind>-<pid>-<n>@localhost`.
    pub kind: &'a str,
    /// The directory holding the Erlang cookie (`HOME`): the node's own when `None`; nodes of
    /// one cluster share it, since only nodes with the same cookie can talk.
    pub home: Option<&'a Path>,
    /// Writes what the node needs into its directory (certificates, say) and returns the
    /// `rabbitmq.conf` lines besides the plain listener (`listeners.tcp.1`, always there);
    /// they may use `{port0}`, `{port1}`, ... for the [`extra_ports`](Self::extra_ports).
    pub config: &'a mut dyn FnMut(&Path) -> String,
    /// The `enabled_plugins` term, e.g. `[rabbitmq_auth_mechanism_ssl].`
    pub plugins: &'a str,
    /// Extra ports the config names (a TLS listener), taken free with the node's own.
    pub extra_ports: usize,
}

/// A private node; dropping it shuts the node down and removes its directory.
pub struct PrivateNode {
    /// The node name, `aw-<kind>-<pid>-<n>@localhost`.
    pub name: String,
    /// The plain AMQP listener.
    pub amqp_port: u16,
    /// The ports [`NodeSpec::extra_ports`] asked for, in order.
    pub extra_ports: Vec<u16>,
    dist_port: u16,
    dir: PathBuf,
    home: PathBuf,
    /// The `rabbitmq-server` script of the current boot (restarted after [`kill`](Self::kill)).
    child: Mutex<Option<Child>>,
}

impl PrivateNode {
    /// Writes the node's files and starts it, without waiting: [`await_startup`](Self::await_startup)
    /// waits (so that several nodes boot at once).
    pub fn spawn(spec: NodeSpec<'_>) -> PrivateNode {
        static N: AtomicU64 = AtomicU64::new(0);
        let id = format!(
            "{}-{}-{}",
            spec.kind,
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(format!("aw-{id}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir of a private node");
        let ports = free_ports(2 + spec.extra_ports);
        let mut config = format!("listeners.tcp.1 = 127.0.0.1:{}\n", ports[0]);
        let mut extra = (spec.config)(&dir);
        for (i, port) in ports[2..].iter().enumerate() {
            extra = extra.replace(&format!("{{port{i}}}"), &port.to_string());
        }
        config += &extra;
        write(&dir.join("rabbitmq.conf"), &config);
        write(&dir.join("enabled_plugins"), &format!("{}\n", spec.plugins));
        write(&dir.join("rabbitmq-env.conf"), "");
        let node = PrivateNode {
            name: format!("aw-{id}@localhost"),
            amqp_port: ports[0],
            extra_ports: ports[2..].to_vec(),
            dist_port: ports[1],
            home: spec.home.map_or_else(|| dir.clone(), Path::to_path_buf),
            dir,
            child: Mutex::new(None),
        };
        node.boot();
        node
    }

    /// Starts `rabbitmq-server` on the node's files (first boot, or again after a kill).
    pub fn boot(&self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("server.out"))
            .expect("server.out");
        let mut cmd = Command::new(format!("{SCRIPTS}/rabbitmq-server"));
        cmd.envs(self.env_vars())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        let child = cmd.spawn().expect("cannot run rabbitmq-server");
        *self.child.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
    }

    /// Waits for the AMQP port to accept connections (so that `await_startup` does not sleep
    /// its 10 s between checks), then for `rabbitmqctl await_startup`.
    pub fn await_startup(&self) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.amqp_port)).is_err() {
            if let Some(status) = self.exited() {
                panic!(
                    "node {} exited ({status}): {}",
                    self.name,
                    self.startup_output()
                );
            }
            assert!(
                start.elapsed() < BOOT_LIMIT,
                "node {} did not listen within {BOOT_LIMIT:?}: {}",
                self.name,
                self.startup_output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.ctl(&["await_startup", "--timeout", "60"]);
    }

    fn exited(&self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        child.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }

    /// `amqp://guest:guest@127.0.0.1:<amqp port>/%2f`.
    pub fn amqp_url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.amqp_port)
    }

    /// SIGKILL of the node's Erlang VM: a crash, with no goodbye to clients or peers. The
    /// node can be started again with [`boot`](Self::boot) and [`await_startup`](Self::await_startup).
    pub fn kill(&self) {
        let pid = std::fs::read_to_string(self.dir.join("pid"))
            .unwrap_or_else(|e| panic!("pid file of {}: {e}", self.name));
        let status = Command::new("kill")
            .args(["-KILL", pid.trim()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -KILL {} failed", pid.trim());
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut c) = child.take() {
            // The script was waiting on the VM; it ends with it.
            let _ = c.wait();
        }
        let _ = std::fs::remove_file(self.dir.join("pid"));
    }

    /// Runs `rabbitmqctl -n <node> -q <args>`; panics if it fails.
    pub fn ctl(&self, args: &[&str]) -> String {
        let out = self.ctl_output(args);
        assert!(
            out.status.success(),
            "rabbitmqctl -n {} {args:?} failed: {}{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `rabbitmqctl -n <node> -q <args>` and returns what it did, failed or not.
    pub fn ctl_output(&self, args: &[&str]) -> Output {
        self.script_output("rabbitmqctl", args)
    }

    /// Runs `<script> -n <node> -q <args>` (`rabbitmq-queues`, `rabbitmq-diagnostics`, ...).
    pub fn script_output(&self, script: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(format!("{SCRIPTS}/{script}"));
        cmd.envs(self.env_vars())
            .args(["-n", &self.name, "-q"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"))
    }

    /// `(connection name, ssl)` of every client connection the node has.
    pub fn connections(&self) -> Vec<(String, bool)> {
        self.ctl(&["list_connections", "client_properties", "ssl"])
            .lines()
            .filter_map(|line| {
                let (props, ssl) = line.rsplit_once('\t')?;
                Some((connection_name(props), ssl.trim() == "true"))
            })
            .collect()
    }

    /// `(ready, unacked, consumers)` of `queue`, as this node sees it.
    pub fn counts(&self, queue: &str) -> Option<(u64, u64, u64)> {
        let out = self.ctl(&[
            "list_queues",
            "name",
            "messages_ready",
            "messages_unacknowledged",
            "consumers",
        ]);
        out.lines().find_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.len() == 4 && f[0] == queue)
                .then(|| Some((f[1].parse().ok()?, f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        })
    }

    /// The node's own log so far (to show when a test fails).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log").join(format!("{}.log", self.name)))
            .unwrap_or_default()
    }

    fn startup_output(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.out")).unwrap_or_default()
    }

    /// The environment every script of this node runs with: nothing of the shared node's
    /// (`/etc/rabbitmq/rabbitmq-env.conf` names it) and the cookie under `HOME`.
    fn env_vars(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        let d = |name: &str| self.dir.join(name).into_os_string();
        vec![
            ("HOME", self.home.clone().into_os_string()),
            ("RABBITMQ_CONF_ENV_FILE", d("rabbitmq-env.conf")),
            ("RABBITMQ_NODENAME", self.name.clone().into()),
            ("RABBITMQ_CONFIG_FILE", d("rabbitmq.conf")),
            ("RABBITMQ_ADVANCED_CONFIG_FILE", d("advanced.config")),
            ("RABBITMQ_MNESIA_BASE", d("mnesia")),
            ("RABBITMQ_LOG_BASE", d("log")),
            ("RABBITMQ_PID_FILE", d("pid")),
            ("RABBITMQ_PLUGINS_EXPAND_DIR", d("plugins-expand")),
            ("RABBITMQ_ENABLED_PLUGINS_FILE", d("enabled_plugins")),
            ("ERL_EPMD_ADDRESS", "127.0.0.1".into()),
            (
                "ERL_FLAGS",
                "-kernel inet_dist_use_interface {127,0,0,1}".into(),
            ),
        ]
    }

    /// Writes `rabbitmqctl.sh` into the node's directory and returns its path: `rabbitmqctl`
    /// aimed at this node, with its environment, as one command a script can be given (the
    /// benchmark harness takes `RABBITMQCTL` as a single program, not a command line).
    pub fn ctl_script(&self) -> PathBuf {
        let quote =
            |v: &std::ffi::OsStr| format!("'{}'", v.to_string_lossy().replace('\'', r"'\''"));
        let mut text = String::from("#!/bin/sh\n");
        for (k, v) in self.env_vars() {
            text += &format!("export {k}={}\n", quote(&v));
        }
        text += &format!(
            "exec {SCRIPTS}/rabbitmqctl -n {} \"$@\"\n",
            quote(self.name.as_ref())
        );
        let path = self.dir.join("rabbitmqctl.sh");
        write(&path, &text);
        make_executable(&path);
        path
    }

    /// The node's own directory (certificates and other files of its owner may go there).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PrivateNode {
    fn drop(&mut self) {
        let running = self.exited().is_none() && self.dir.join("pid").exists();
        if running {
            let _ = self.ctl_output(&["shutdown"]);
        }
        if let Some(mut child) = self.child.lock().unwrap_or_else(|p| p.into_inner()).take() {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What `slot` holds while any test holds it, or a new one from `start` (blocking, on a
/// blocking thread): the nodes one test binary shares are started by its first test and
/// stopped when the last lets go (each test's `Arc` drops, panics included).
pub async fn shared<T: Send + Sync + 'static>(
    slot: &'static Mutex<Weak<T>>,
    start: fn() -> T,
) -> Arc<T> {
    tokio::task::spawn_blocking(move || {
        let mut shared = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = shared.upgrade() {
            return held;
        }
        let held = Arc::new(start());
        *shared = Arc::downgrade(&held);
        held
    })
    .await
    .expect("starting the private nodes panicked")
}

/// The `connection_name` of a `client_properties` column: `{"connection_name","<name>"}`
/// (with `longstr,` and `<<"...">>` in older CLIs).
pub(crate) fn connection_name(props: &str) -> String {
    props
        .split("connection_name")
        .nth(1)
        .map(|rest| rest.trim_start_matches(['"', ',', '>']))
        .map(|rest| rest.trim_start_matches("longstr,"))
        .map(|rest| rest.trim_start_matches(['<', '"']))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned()
}

pub(crate) fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
}

fn make_executable(path: &Path) {
    let mut perms = std::fs::metadata(path).expect("metadata").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(path, perms).unwrap_or_else(|e| panic!("chmod {path:?}: {e}"));
}

/// `n` free loopback ports, none in the range `rabbitmqctl` takes for its own distribution
/// (35672-35682 by default) nor the shared node's (25672).
pub(crate) fn free_ports(n: usize) -> Vec<u16> {
    let mut held = Vec::new();
    while held.len() < n {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = l.local_addr().expect("local addr").port();
        if !(35672..=35682).contains(&port) && port != 25672 {
            held.push(l);
        }
    }
    held.iter()
        .map(|l| l.local_addr().expect("local addr").port())
        .collect()
}
