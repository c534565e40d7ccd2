//! Starts the three-node RabbitMQ cluster of the tests for a script (the cluster benchmark):
//! shell-sourceable lines on stdout, then holds the cluster until stdin closes or
//! SIGTERM/SIGINT arrives, and stops it.
//!
//! ```sh
//! mkfifo in; cargo run -p asyncworker-tests --bin rabbit-cluster < in > cluster.env & exec 9> in
//! # wait for the line `CLUSTER_READY=1` in cluster.env, then: . cluster.env
//! exec 9>&-   # closing stdin stops the cluster
//! ```

use asyncworker_tests::cluster::Cluster;

fn main() {
    // Blocking: boots and joins the nodes (panics, exit 101, if it cannot).
    let cluster = Cluster::start();
    // Single-quoted values: every path comes from the temp dir, none holds a quote.
    println!("CLUSTER_URLS='{}'", cluster.url_list());
    for (i, node) in cluster.nodes.iter().enumerate() {
        println!("CLUSTER_NODE_{i}='{}'", node.name);
        println!("CLUSTER_URL_{i}='{}'", node.amqp_url());
        println!("CLUSTER_RABBITMQCTL_{i}='{}'", node.ctl_script().display());
    }
    // Last, so a reader that sees it has every line above.
    println!("CLUSTER_READY=1");
    asyncworker_tests::script_hold::hold();
    eprintln!("rabbit-cluster: stopping the cluster");
    drop(cluster);
}
