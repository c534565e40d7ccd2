//! The three-node cluster of the test support itself: it forms, a node stopped with
//! `stop_app` or killed leaves the other two running, and it comes back.

use std::time::Duration;

use asyncworker_tests::Broker;
use asyncworker_tests::cluster::{Cluster, NODES};

/// Waits (blocking, with a deadline) until node `via` sees `n` running nodes.
fn await_running(cluster: &Cluster, via: usize, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let running = cluster.running_nodes(via);
        if running.len() == n {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node {via} sees {running:?}, not {n} nodes"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_forms_loses_a_node_and_gets_it_back() {
    let cluster = tokio::task::spawn_blocking(Cluster::start).await.unwrap();
    assert_eq!(cluster.running_nodes(2).len(), NODES);
    // Every node takes clients.
    for url in cluster.urls() {
        let broker = Broker::connect_to(&url).await;
        broker.conn.close(200, "bye".into()).await.unwrap();
    }
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.stop_app(1);
        await_running(&cluster, 0, NODES - 1);
        cluster.start_app(1);
        await_running(&cluster, 0, NODES);
        cluster.kill(2);
        await_running(&cluster, 0, NODES - 1);
        cluster.restart(2);
        await_running(&cluster, 0, NODES);
        cluster
    })
    .await
    .unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", cluster.nodes[2].amqp_port)).is_ok());
}
