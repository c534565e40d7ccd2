//! A private RabbitMQ node with a TLS listener, for the `amqps://` tests: its own node name,
//! ports, config file, data directory and Erlang cookie under a temp directory, started from
//! the machine's `rabbitmq-server` and stopped when the guard drops (panics included). The
//! shared node on 5672 is never touched.

use std::ops::Deref;
use std::sync::{Arc, Mutex, Weak};

use crate::certs::TestPki;
use crate::rabbit_node::{NodeSpec, PrivateNode};

/// A running private node with a TLS listener; dropping it shuts the node down and removes
/// its directory. It derefs to its [`PrivateNode`] (`ctl`, `connections`, `amqp_url`, ...).
pub struct TlsBroker {
    /// The TLS listener.
    pub tls_port: u16,
    /// The certificates the node and the tests use.
    pub pki: TestPki,
    node: PrivateNode,
}

impl Deref for TlsBroker {
    type Target = PrivateNode;

    fn deref(&self) -> &PrivateNode {
        &self.node
    }
}

impl TlsBroker {
    /// The node the tests of one binary share while any of them holds it: started by the
    /// first, stopped when the last lets go (each test's `Arc` drops, panics included).
    pub async fn shared() -> Arc<TlsBroker> {
        static SHARED: Mutex<Weak<TlsBroker>> = Mutex::new(Weak::new());
        crate::rabbit_node::shared(&SHARED, TlsBroker::start).await
    }

    /// Generates certificates, writes the node's files and starts it; returns once the node
    /// answers `await_startup`. Blocking: call it before the worker starts.
    ///
    /// The config: listeners on loopback only; TLS asking for, not requiring, a client
    /// certificate; EXTERNAL taking the certificate's common name.
    pub fn start() -> TlsBroker {
        let mut pki = None;
        let mut config = |dir: &std::path::Path| {
            let p = TestPki::generate(dir);
            let config = format!(
                "listeners.ssl.1 = 127.0.0.1:{{port0}}\n\
             ssl_options.cacertfile = {ca}\n\
             ssl_options.certfile = {cert}\n\
             ssl_options.keyfile = {key}\n\
             ssl_options.verify = verify_peer\n\
             ssl_options.fail_if_no_peer_cert = false\n\
             auth_mechanisms.1 = PLAIN\n\
             auth_mechanisms.2 = AMQPLAIN\n\
             auth_mechanisms.3 = EXTERNAL\n\
             ssl_cert_login_from = common_name\n",
                ca = p.ca.display(),
                cert = p.server_cert.display(),
                key = p.server_key.display(),
            );
            pki = Some(p);
            config
        };
        let node = PrivateNode::spawn(NodeSpec {
            kind: "tls",
            home: None,
            config: &mut config,
            plugins: "[rabbitmq_auth_mechanism_ssl].",
            extra_ports: 1,
        });
        node.await_startup();
        TlsBroker {
            tls_port: node.extra_ports[0],
            pki: pki.expect("the node's config wrote the certificates"),
            node,
        }
    }

    /// `amqps://guest:guest@<host>:<tls port>/%2f` plus `query` (e.g. `?auth_mechanism=external`).
    pub fn amqps_url(&self, host: &str, query: &str) -> String {
        format!("amqps://guest:guest@{host}:{}/%2f{query}", self.tls_port)
    }
}
