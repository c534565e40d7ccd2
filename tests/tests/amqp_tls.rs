//! AMQP over TLS against a private RabbitMQ node with a TLS listener (see
//! `asyncworker_tests::tls_broker`): consume and publish over `amqps://` with a private CA,
//! EXTERNAL login with a client certificate, and the handshakes that must fail (an unknown
//! CA, a wrong host name) without a byte of AMQP going out.

use std::sync::LazyLock;
use std::time::Duration;

use asyncworker::prelude::*;
use asyncworker::{Settings, Worker};
use asyncworker_tests::certs::CLIENT_USER;
use asyncworker_tests::first_bytes::FirstBytes;
use asyncworker_tests::tls_broker::TlsBroker;
use asyncworker_tests::{Broker, Job, Recorder, Running, settings, unique_prefix, wait_until};

mod plain {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], bulk_size = 10, bulk_flush = "20ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

mod external {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], bulk_size = 10, bulk_flush = "20ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

mod named {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"], connection = "secure", bulk_size = 10, bulk_flush = "20ms")]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

mod refused {
    use super::*;
    pub static SEEN: LazyLock<Recorder> = LazyLock::new(Recorder::new);

    #[route(amqp = ["q"])]
    async fn handle(messages: Vec<Message<Job>>) {
        let ids: Vec<u64> = messages.iter().map(|m| m.body().id).collect();
        SEEN.call(&ids);
    }
}

/// Settings for a worker on `url`, trusting the node's CA.
fn tls_settings(prefix: &str, node: &TlsBroker, url: String) -> Settings {
    let mut s = settings(prefix);
    s.amqp_urls = vec![url];
    s.amqp_tls.ca_file = Some(node.pki.ca.display().to_string());
    s
}

/// The node's connections whose name starts with `asyncworker` (the worker's), with `ssl`.
fn worker_connections(node: &TlsBroker) -> Vec<(String, bool)> {
    node.connections()
        .into_iter()
        .filter(|(name, _)| name.starts_with("asyncworker"))
        .collect()
}

fn job(id: u64) -> Job {
    Job {
        id,
        tag: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consume_and_publish_with_confirms_over_amqps() {
    let node = TlsBroker::shared().await;
    let prefix = unique_prefix("tls");
    let q = format!("{prefix}q");
    let broker = Broker::connect_to(&node.amqp_url()).await;
    broker.declare(&q).await;

    // No port in the URL would mean 5671; the node's TLS port is its own. The first URL of
    // the list answers nothing (port 1): the failover moves on to the second, over TLS too.
    let mut s = tls_settings(&prefix, &node, node.amqps_url("localhost", ""));
    s.amqp_urls
        .insert(0, "amqps://guest:guest@localhost:1/%2f".into());
    let worker = Running::start(&format!("{}::plain", module_path!()), s);
    for id in 0..200 {
        // Confirmed: `publish` returns once the broker confirmed it.
        worker
            .app
            .amqp()
            .publish("", &q, &job(id))
            .await
            .expect("publish over amqps");
    }
    wait_until(Duration::from_secs(20), "200 ids handled", || async {
        plain::SEEN.unique() == 200
    })
    .await;
    assert!(worker.app.health().is_ready());

    let conns = worker_connections(&node);
    println!("the worker's connections (name, ssl): {conns:?}");
    assert!(
        conns
            .iter()
            .any(|(n, _)| n.starts_with("asyncworker publisher"))
            && conns.iter().any(|(n, _)| n == "asyncworker default"),
        "the consumer and the publisher connections: {conns:?}"
    );
    assert!(
        conns.iter().all(|(_, ssl)| *ssl),
        "every one over TLS: {conns:?}"
    );
    worker.stop().await.expect("the worker stops cleanly");
    assert_eq!(plain::SEEN.duplicates(), 0);
    broker.delete(&q).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_login_with_a_client_certificate() {
    let node = TlsBroker::shared().await;
    let _ = node.ctl_output(&["add_user", CLIENT_USER, "unused-password"]);
    node.ctl(&["set_permissions", "-p", "/", CLIENT_USER, ".*", ".*", ".*"]);
    let prefix = unique_prefix("tls-ext");
    let q = format!("{prefix}q");
    let broker = Broker::connect_to(&node.amqp_url()).await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(20)).await;

    // No user or password in the URL: the certificate is the login.
    let url = format!(
        "amqps://localhost:{}/%2f?auth_mechanism=external",
        node.tls_port
    );
    let mut s = tls_settings(&prefix, &node, url);
    s.amqp_tls.cert_file = Some(node.pki.client_cert.display().to_string());
    s.amqp_tls.key_file = Some(node.pki.client_key.display().to_string());
    let worker = Running::start(&format!("{}::external", module_path!()), s);
    wait_until(Duration::from_secs(20), "20 ids handled", || async {
        external::SEEN.unique() == 20
    })
    .await;
    let users = node.ctl(&["list_connections", "user", "auth_mechanism", "ssl"]);
    println!("connections (user, mechanism, ssl):\n{users}");
    assert!(
        users
            .lines()
            .any(|l| l.split('\t').collect::<Vec<_>>() == [CLIENT_USER, "EXTERNAL", "true"]),
        "a connection logged in as {CLIENT_USER} with EXTERNAL over TLS:\n{users}"
    );
    worker.stop().await.expect("the worker stops cleanly");
    broker.delete(&q).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_named_connection_takes_its_own_tls_files() {
    let node = TlsBroker::shared().await;
    let prefix = unique_prefix("tls-named");
    let q = format!("{prefix}q");
    let broker = Broker::connect_to(&node.amqp_url()).await;
    broker.declare(&q).await;
    broker.publish_json(&q, &Job::many(30)).await;

    // The default connection trusts nothing of the node's; the named one trusts its CA.
    let mut s = settings(&prefix);
    s.amqp_tls.ca_file = Some(node.pki.other_ca.display().to_string());
    s.amqp_connections
        .insert("secure".into(), vec![node.amqps_url("localhost", "")]);
    let mut tls = asyncworker::amqp::AmqpTls::default();
    tls.ca_file = Some(node.pki.ca.display().to_string());
    s.amqp_connections_tls.insert("secure".into(), tls);
    let worker = Running::start(&format!("{}::named", module_path!()), s);
    wait_until(Duration::from_secs(20), "30 ids handled", || async {
        named::SEEN.unique() == 30
    })
    .await;
    let conns = worker_connections(&node);
    assert!(
        conns.contains(&("asyncworker secure".to_owned(), true)),
        "{conns:?}"
    );
    worker.stop().await.expect("the worker stops cleanly");
    broker.delete(&q).await;
}

/// A worker that must not get in: `url` goes through a proxy that records the first bytes.
/// Returns the reason readiness gave and the `--check` report.
async fn refused_handshake(
    node: &TlsBroker,
    proxy: &FirstBytes,
    settings: Settings,
    q: &str,
) -> String {
    let broker = Broker::connect_to(&node.amqp_url()).await;
    broker.declare(q).await;
    broker.publish_json(q, &Job::many(5)).await;
    let mut settings = settings;
    (settings.http_enabled, settings.http_port) = (true, 0);
    let worker = Running::start(&format!("{}::refused", module_path!()), settings);
    let app = worker.app.clone();
    let mut reason = String::new();
    wait_until(Duration::from_secs(20), "a reason in readiness", || {
        reason = app
            .health()
            .reasons()
            .into_values()
            .collect::<Vec<_>>()
            .join("; ");
        let found = !reason.is_empty();
        async move { found }
    })
    .await;
    // `/health/ready` says the same.
    let addr = worker.http_addr().await;
    let body = reqwest::get(format!("http://{addr}/health/ready"))
        .await
        .expect("GET /health/ready");
    assert_eq!(body.status().as_u16(), 503);
    let body: serde_json::Value =
        serde_json::from_str(&body.text().await.expect("body")).expect("JSON");
    assert_eq!(
        body["reasons"]["amqp asyncworker default"],
        reason.as_str(),
        "{body}"
    );
    // A second attempt failed the same way (the backoff goes on): nothing got through.
    wait_until(Duration::from_secs(20), "a second attempt", || async {
        proxy.seen().len() >= 2
    })
    .await;
    assert!(!app.health().is_ready(), "{:?}", app.health().not_ready());
    assert_eq!(refused::SEEN.unique(), 0, "nothing consumed");
    let check = Worker::new(app.settings().clone())
        .only_module(&format!("{}::refused", module_path!()))
        .check()
        .await
        .expect("the check runs");
    let report = check.to_string();
    assert!(!check.is_ok(), "--check fails: {report}");
    worker.stop().await.expect("the worker stops cleanly");
    assert_eq!(node.counts(q).map(|c| c.0), Some(5), "all 5 still ready");
    broker.delete(q).await;
    format!("readiness: {reason}\ncheck: {report}")
}

/// Every connection the proxy saw began with a TLS handshake record (0x16 0x03).
fn assert_client_hellos(proxy: &FirstBytes) {
    let seen = proxy.seen();
    assert!(!seen.is_empty(), "the worker tried to connect");
    for first in &seen {
        assert!(
            first.len() >= 2 && first[0] == 0x16 && first[1] == 0x03,
            "a ClientHello, not {:?} ({:?})",
            String::from_utf8_lossy(first),
            first
        );
        assert!(!first.starts_with(b"AMQP"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_ca_is_refused_and_said_why() {
    let node = TlsBroker::shared().await;
    let prefix = unique_prefix("tls-ca");
    let proxy = FirstBytes::start(node.tls_port).await;
    let url = format!("amqps://guest:guest@localhost:{}/%2f", proxy.port);
    let mut s = tls_settings(&prefix, &node, url);
    s.amqp_tls.ca_file = Some(node.pki.other_ca.display().to_string());
    let said = refused_handshake(&node, &proxy, s, &format!("{prefix}q")).await;
    println!("{said}");
    assert!(
        said.matches("UnknownIssuer").count() >= 2,
        "readiness and check: {said}"
    );
    assert_client_hellos(&proxy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_host_name_is_refused_and_said_why() {
    let node = TlsBroker::shared().await;
    let prefix = unique_prefix("tls-name");
    let proxy = FirstBytes::start(node.tls_port).await;
    // The certificate names `localhost` only; 127.0.0.1 is the same machine, not the same name.
    let url = format!("amqps://guest:guest@127.0.0.1:{}/%2f", proxy.port);
    let s = tls_settings(&prefix, &node, url);
    let said = refused_handshake(&node, &proxy, s, &format!("{prefix}q")).await;
    println!("{said}");
    assert!(
        said.matches(r#"certificate not valid for name "127.0.0.1""#)
            .count()
            >= 2,
        "readiness and check: {said}"
    );
    assert_client_hellos(&proxy);
}
