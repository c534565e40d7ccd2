//! Starts the private TLS RabbitMQ node of the tests for a script (the TLS drain benchmark):
//! fresh certificates in a temp directory, then shell-sourceable lines on stdout, then holds
//! the node until stdin closes or SIGTERM/SIGINT arrives, and stops it.
//!
//! ```sh
//! mkfifo in; cargo run -p asyncworker-tests --bin tls-node < in > node.env & exec 9> in
//! # wait for the line `TLS_NODE_READY=1` in node.env, then: . node.env
//! exec 9>&-   # closing stdin stops the node
//! ```

use asyncworker_tests::tls_broker::TlsBroker;

fn main() {
    // Blocking: boots the node (panics, exit 101, if it cannot).
    let broker = TlsBroker::start();
    let ctl = broker.ctl_script();
    // Single-quoted values: every path comes from the temp dir, none holds a quote.
    println!("TLS_NODE='{}'", broker.name);
    println!("TLS_NODE_AMQP_URL='{}'", broker.amqp_url());
    // `localhost`: the server certificate's only name, and host names are always verified.
    println!("TLS_NODE_AMQPS_URL='{}'", broker.amqps_url("localhost", ""));
    println!("TLS_NODE_CA_FILE='{}'", broker.pki.ca.display());
    println!("TLS_NODE_RABBITMQCTL='{}'", ctl.display());
    // Last, so a reader that sees it has every line above.
    println!("TLS_NODE_READY=1");
    asyncworker_tests::script_hold::hold();
    eprintln!("tls-node: stopping {}", broker.name);
    drop(broker);
}
