//! A three-node RabbitMQ cluster on loopback, for the replica and failover tests and the
//! cluster benchmark: three [`PrivateNode`]s sharing one Erlang cookie, booted at once, the
//! second and third joined to the first. Dropping the cluster shuts every node down and
//! removes its files; the shared node on 5672 is never touched.
//!
//! The recipe by hand (what [`Cluster::start`] does), for a node `n` of three:
//! `HOME=<dir with .erlang.cookie> RABBITMQ_NODENAME=n@localhost RABBITMQ_NODE_PORT=...
//! RABBITMQ_DIST_PORT=... RABBITMQ_MNESIA_BASE=... rabbitmq-server`, then on the second and
//! third: `rabbitmqctl -n n stop_app; rabbitmqctl -n n join_cluster <first>; rabbitmqctl -n n
//! start_app`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::rabbit_node::{NodeSpec, PrivateNode, write};

/// How many nodes a cluster has: the smallest that keeps a quorum with one node down.
pub const NODES: usize = 3;

/// A running three-node cluster; dropping it stops every node.
pub struct Cluster {
    /// The nodes, the first being the one the others joined.
    pub nodes: Vec<PrivateNode>,
    /// Holds the shared cookie.
    home: PathBuf,
}

impl Cluster {
    /// The cluster the tests of one binary share while any of them holds it (for tests that
    /// do not stop nodes): started by the first, stopped when the last lets go.
    pub async fn shared() -> Arc<Cluster> {
        static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
        crate::rabbit_node::shared(&SHARED, Cluster::start).await
    }

    /// Boots three nodes and clusters them; returns once all three run as one cluster.
    /// Blocking (some 20 s).
    pub fn start() -> Cluster {
        static N: AtomicU64 = AtomicU64::new(0);
        let home = std::env::temp_dir().join(format!(
            "aw-cluster-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).expect("cluster home");
        write_cookie(&home);
        let nodes: Vec<PrivateNode> = (0..NODES)
            .map(|_| {
                PrivateNode::spawn(NodeSpec {
                    kind: "cl",
                    home: Some(&home),
                    config: &mut |_| String::new(),
                    plugins: "[].",
                    extra_ports: 0,
                })
            })
            .collect();
        let cluster = Cluster { nodes, home };
        for node in &cluster.nodes {
            node.await_startup();
        }
        let first = cluster.nodes[0].name.clone();
        for node in &cluster.nodes[1..] {
            node.ctl(&["stop_app"]);
            node.ctl(&["join_cluster", &first]);
            node.ctl(&["start_app"]);
            node.ctl(&["await_startup", "--timeout", "60"]);
        }
        let running = cluster.running_nodes(0);
        assert_eq!(running.len(), NODES, "the cluster formed as {running:?}");
        cluster
    }

    /// Every node's plain URL, in node order.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(PrivateNode::amqp_url).collect()
    }

    /// The URLs as one comma-separated list, the form `ASYNCWORKER_AMQP_URL` takes.
    pub fn url_list(&self) -> String {
        self.urls().join(",")
    }

    /// `rabbitmqctl stop_app` on node `i`: RabbitMQ stops (clients are disconnected, the
    /// node leaves its queues' quorums) while the Erlang VM stays up.
    pub fn stop_app(&self, i: usize) {
        self.nodes[i].ctl(&["stop_app"]);
    }

    /// `rabbitmqctl start_app` on node `i`, waiting until it runs again.
    pub fn start_app(&self, i: usize) {
        self.nodes[i].ctl(&["start_app"]);
        self.nodes[i].ctl(&["await_startup", "--timeout", "60"]);
    }

    /// SIGKILL of node `i`'s Erlang VM.
    pub fn kill(&self, i: usize) {
        self.nodes[i].kill();
    }

    /// Boots node `i` again after [`kill`](Self::kill); it rejoins the cluster on its own
    /// (its data directory remembers its peers).
    pub fn restart(&self, i: usize) {
        self.nodes[i].boot();
        self.nodes[i].await_startup();
    }

    /// The names of the nodes running RabbitMQ, as node `via` sees them.
    pub fn running_nodes(&self, via: usize) -> Vec<String> {
        let status = self.nodes[via].ctl(&["cluster_status", "--formatter", "json"]);
        let json: serde_json::Value =
            serde_json::from_str(&status).unwrap_or_else(|e| panic!("{e}: {status}"));
        json["running_nodes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The index of the node `name` names.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// The names of the client connections each node holds, in node order (a stopped node
    /// holds none).
    pub fn connections(&self) -> Vec<Vec<String>> {
        self.nodes
            .iter()
            .map(|n| {
                // `list_connections` lists the whole cluster's, whichever node answers: the
                // server port a connection came in on tells whose it is.
                let out = n.ctl_output(&["list_connections", "port", "client_properties"]);
                if !out.status.success() {
                    return Vec::new();
                }
                let port = n.amqp_port.to_string();
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| l.split_once('\t'))
                    .filter(|(p, _)| *p == port)
                    .map(|(_, props)| crate::rabbit_node::connection_name(props))
                    .collect()
            })
            .collect()
    }

    /// The messages of `queue` (ready and unacked), as node `via` sees it; `None` if it does
    /// not list the queue.
    pub fn messages(&self, queue: &str, via: usize) -> Option<u64> {
        let out = self.nodes[via].ctl(&["list_queues", "name", "messages"]);
        out.lines().find_map(|line| {
            let (name, n) = line.split_once('\t')?;
            (name == queue).then(|| n.trim().parse().ok()).flatten()
        })
    }

    /// The node leading quorum queue `queue`, as node `via` sees it.
    pub fn leader(&self, queue: &str, via: usize) -> Option<String> {
        let out = self.nodes[via].ctl(&["list_queues", "name", "leader"]);
        out.lines().find_map(|line| {
            let (name, leader) = line.split_once('\t')?;
            (name == queue).then(|| leader.trim().to_owned())
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Each node shuts down as it drops; the cookie's directory goes last.
        self.nodes.clear();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// A cookie of our own (the nodes of one cluster must share it; no other node has it):
/// owner-read-only, as Erlang insists.
fn write_cookie(home: &std::path::Path) {
    let path = home.join(".erlang.cookie");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        ^ u128::from(std::process::id());
    let cookie: String = (0..20)
        .map(|i| char::from(b'A' + ((seed >> (i * 5)) % 26) as u8))
        .collect();
    write(&path, &cookie);
    let mut perms = std::fs::metadata(&path).expect("cookie").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o400);
    std::fs::set_permissions(&path, perms).expect("chmod cookie");
}
