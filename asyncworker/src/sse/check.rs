//! `--check` for SSE routes: whether each route's server accepts a TCP connection. Nothing is
//! requested: a GET would start a stream, which a check must not consume.

use std::time::Duration;

use super::resolve::Resolved;
use crate::backend::CheckLine;

/// How long `--check` waits for an SSE server to accept a connection.
const CHECK_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One line per server (`host:port`) a route streams from, usually one: whether a TCP
/// connection to it opens within [`CHECK_CONNECT_TIMEOUT`]. The connection is closed at once.
pub(crate) async fn check_route(route: &Resolved) -> Vec<CheckLine> {
    let servers = servers(&route.urls);
    let mut lines = Vec::with_capacity(servers.len());
    for (host, port) in servers {
        let (ok, found) = connect(&host, port).await;
        lines.push(CheckLine {
            ok,
            line: format!(
                "sse {}: url={:?} paths={:?}: {found}",
                route.def.name, route.base, route.def.paths
            ),
        });
    }
    lines
}

/// The distinct `(host, port)` of `urls`, in order.
fn servers(urls: &[reqwest::Url]) -> Vec<(String, u16)> {
    let mut servers: Vec<(String, u16)> = Vec::new();
    for url in urls {
        // `host_str` brackets an IPv6 address, which a socket address must not have.
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        if !servers.contains(&(host.clone(), port)) {
            servers.push((host, port));
        }
    }
    servers
}

/// Whether `host:port` accepts a connection in time, and what was found.
async fn connect(host: &str, port: u16) -> (bool, String) {
    let connect = tokio::net::TcpStream::connect((host, port));
    match tokio::time::timeout(CHECK_CONNECT_TIMEOUT, connect).await {
        Ok(Ok(stream)) => {
            drop(stream);
            (true, format!("{host}:{port} accepts connections"))
        }
        Ok(Err(e)) => (false, format!("cannot connect to {host}:{port}: {e}")),
        Err(_) => (
            false,
            format!("{host}:{port} did not accept a connection within {CHECK_CONNECT_TIMEOUT:?}"),
        ),
    }
}
