//! A private RabbitMQ node with a TLS listener, for the `amqps://` tests: its own node name,
//! ports, config file, data directory and Erlang cookie under a temp directory, started from
//! the machine's `rabbitmq-server` and stopped when the guard drops (panics included). The
//! shared node on 5672 is never touched.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::certs::TestPki;

/// Where Debian's package puts the scripts; called directly, not through the `/usr/sbin`
/// wrapper, which would switch to the `rabbitmq` user and its home (the shared node's cookie).
const SCRIPTS: &str = "/usr/lib/rabbitmq/bin";

/// How long the node may take to boot.
const BOOT_LIMIT: Duration = Duration::from_secs(90);

/// A running private node; dropping it shuts the node down and removes its directory.
pub struct TlsBroker {
    /// The node name, `aw-tls-<pid>-<n>@localhost`.
    pub node: String,
    /// Plain AMQP, for the test's own connection (publishing, inspecting).
    pub amqp_port: u16,
    /// The TLS listener.
    pub tls_port: u16,
    /// The certificates the node and the tests use.
    pub pki: TestPki,
    dir: PathBuf,
    child: Option<Child>,
}

impl TlsBroker {
    /// The node the tests of one binary share while any of them holds it: started by the
    /// first, stopped when the last lets go (each test's `Arc` drops, panics included).
    pub async fn shared() -> Arc<TlsBroker> {
        static SHARED: Mutex<Weak<TlsBroker>> = Mutex::new(Weak::new());
        tokio::task::spawn_blocking(|| {
            let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(node) = shared.upgrade() {
                return node;
            }
            let node = Arc::new(TlsBroker::start());
            *shared = Arc::downgrade(&node);
            node
        })
        .await
        .expect("starting the TLS node panicked")
    }

    /// Generates certificates, writes the node's files and starts it; returns once the node
    /// answers `await_startup`. Blocking: call it before the worker starts.
    pub fn start() -> TlsBroker {
        static N: AtomicU64 = AtomicU64::new(0);
        let id = format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(format!("aw-tls-{id}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir of the TLS node");
        let pki = TestPki::generate(&dir);
        let [amqp_port, tls_port, dist_port] = free_ports();
        let mut broker = TlsBroker {
            node: format!("aw-tls-{id}@localhost"),
            amqp_port,
            tls_port,
            pki,
            dir,
            child: None,
        };
        broker.write_files();
        let log = std::fs::File::create(broker.dir.join("server.out")).expect("server.out");
        let mut cmd = Command::new(format!("{SCRIPTS}/rabbitmq-server"));
        broker.env(&mut cmd);
        cmd.env("RABBITMQ_DIST_PORT", dist_port.to_string())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        broker.child = Some(cmd.spawn().expect("cannot run rabbitmq-server"));
        broker.await_startup();
        broker
    }

    /// `amqps://guest:guest@<host>:<tls port>/%2f` plus `query` (e.g. `?auth_mechanism=external`).
    pub fn amqps_url(&self, host: &str, query: &str) -> String {
        format!("amqps://guest:guest@{host}:{}/%2f{query}", self.tls_port)
    }

    /// The plain URL of the node, for the test's own connection.
    pub fn amqp_url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.amqp_port)
    }

    /// Runs `rabbitmqctl -n <node> -q <args>`; panics if it fails.
    pub fn ctl(&self, args: &[&str]) -> String {
        let out = self.ctl_output(args);
        assert!(
            out.status.success(),
            "rabbitmqctl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `(connection name, ssl)` of every client connection the node has.
    pub fn connections(&self) -> Vec<(String, bool)> {
        self.ctl(&["list_connections", "client_properties", "ssl"])
            .lines()
            .filter_map(|line| {
                let (props, ssl) = line.rsplit_once('\t')?;
                // `{"connection_name","<name>"}` (with `longstr,` and `<<"...">>` in older CLIs).
                let name = props
                    .split("connection_name")
                    .nth(1)
                    .map(|rest| rest.trim_start_matches(['"', ',', '>']))
                    .map(|rest| rest.trim_start_matches("longstr,"))
                    .map(|rest| rest.trim_start_matches(['<', '"']))
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or("")
                    .to_owned();
                Some((name, ssl.trim() == "true"))
            })
            .collect()
    }

    /// `(ready, unacked, consumers)` of `queue` on this node.
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
        std::fs::read_to_string(self.dir.join("log").join(format!("{}.log", self.node)))
            .unwrap_or_default()
    }

    /// Runs `rabbitmqctl -n <node> -q <args>` and returns what it did, failed or not.
    pub fn ctl_output(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(format!("{SCRIPTS}/rabbitmqctl"));
        self.env(&mut cmd);
        cmd.args(["-n", &self.node, "-q"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("cannot run rabbitmqctl")
    }

    /// Waits for the TLS port to accept connections (so that `await_startup` does not sleep
    /// its 10 s between checks), then for `await_startup` itself.
    fn await_startup(&mut self) {
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.tls_port)).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("the TLS node exited ({status}): {}", self.startup_output());
            }
            assert!(
                start.elapsed() < BOOT_LIMIT,
                "the TLS node did not listen within {BOOT_LIMIT:?}: {}",
                self.startup_output()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        self.ctl(&["await_startup", "--timeout", "60"]);
    }

    fn startup_output(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.out")).unwrap_or_default()
    }

    /// The environment every script of this node runs with: nothing of the shared node's
    /// (`/etc/rabbitmq/rabbitmq-env.conf` names it) and a cookie of its own (`HOME`).
    fn env(&self, cmd: &mut Command) {
        cmd.envs(self.env_vars());
    }

    /// The variables of [`Self::env`], also written into [`Self::ctl_script`].
    fn env_vars(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        let d = |name: &str| self.dir.join(name).into_os_string();
        vec![
            ("HOME", self.dir.clone().into_os_string()),
            ("RABBITMQ_CONF_ENV_FILE", d("rabbitmq-env.conf")),
            ("RABBITMQ_NODENAME", self.node.clone().into()),
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
            quote(self.node.as_ref())
        );
        let path = self.dir.join("rabbitmqctl.sh");
        write(&path, &text);
        let mut perms = std::fs::metadata(&path)
            .expect("rabbitmqctl.sh")
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&path, perms).expect("chmod rabbitmqctl.sh");
        path
    }

    /// The config (listeners on loopback only; TLS asking for, not requiring, a client
    /// certificate; EXTERNAL taking the certificate's common name), the plugin list and an
    /// empty env file.
    fn write_files(&self) {
        let p = &self.pki;
        let config = format!(
            "listeners.tcp.1 = 127.0.0.1:{amqp}\n\
             listeners.ssl.1 = 127.0.0.1:{tls}\n\
             ssl_options.cacertfile = {ca}\n\
             ssl_options.certfile = {cert}\n\
             ssl_options.keyfile = {key}\n\
             ssl_options.verify = verify_peer\n\
             ssl_options.fail_if_no_peer_cert = false\n\
             auth_mechanisms.1 = PLAIN\n\
             auth_mechanisms.2 = AMQPLAIN\n\
             auth_mechanisms.3 = EXTERNAL\n\
             ssl_cert_login_from = common_name\n",
            amqp = self.amqp_port,
            tls = self.tls_port,
            ca = p.ca.display(),
            cert = p.server_cert.display(),
            key = p.server_key.display(),
        );
        write(&self.dir.join("rabbitmq.conf"), &config);
        write(
            &self.dir.join("enabled_plugins"),
            "[rabbitmq_auth_mechanism_ssl].\n",
        );
        write(&self.dir.join("rabbitmq-env.conf"), "");
    }
}

impl Drop for TlsBroker {
    fn drop(&mut self) {
        let _ = self.ctl_output(&["shutdown"]);
        if let Some(mut child) = self.child.take() {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
}

/// Three free loopback ports, none in the range `rabbitmqctl` takes for its own distribution
/// (35672-35682 by default) nor the shared node's (25672).
fn free_ports() -> [u16; 3] {
    let mut held = Vec::new();
    while held.len() < 3 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = l.local_addr().expect("local addr").port();
        if !(35672..=35682).contains(&port) && port != 25672 {
            held.push(l);
        }
    }
    let ports: Vec<u16> = held
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    [ports[0], ports[1], ports[2]]
}
