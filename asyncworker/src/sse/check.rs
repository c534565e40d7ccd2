//! `--check` for SSE routes: whether each route's server accepts a TCP connection and, for an
//! `https://` one, a TLS handshake verified as a stream's would be. Nothing is requested: a GET
//! would start a stream, which a check must not consume.

use std::time::Duration;

use super::resolve::Resolved;
use super::tls::Tls;
use crate::backend::CheckLine;

/// How long `--check` waits for an SSE server to accept a connection (and to finish the
/// handshake).
const CHECK_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One server a route streams from.
#[derive(PartialEq)]
struct Server {
    host: String,
    port: u16,
    https: bool,
}

/// One line per server a route streams from, usually one: whether a connection to it opens
/// (and its TLS handshake succeeds) within [`CHECK_CONNECT_TIMEOUT`]. It is closed at once.
pub(crate) async fn check_route(route: &Resolved, tls: &Tls) -> Vec<CheckLine> {
    let servers = servers(&route.urls);
    let mut lines = Vec::with_capacity(servers.len());
    for server in servers {
        let (ok, found) =
            match tokio::time::timeout(CHECK_CONNECT_TIMEOUT, connect(&server, tls)).await {
                Ok(Ok(found)) => (true, found),
                Ok(Err(why)) => (false, why),
                Err(_) => (
                    false,
                    format!(
                        "{}:{} did not accept a connection within {CHECK_CONNECT_TIMEOUT:?}",
                        server.host, server.port
                    ),
                ),
            };
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

/// The distinct servers of `urls`, in order.
fn servers(urls: &[reqwest::Url]) -> Vec<Server> {
    let mut servers: Vec<Server> = Vec::new();
    for url in urls {
        // `host_str` brackets an IPv6 address, which a socket address must not have.
        let host = url
            .host_str()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let server = Server {
            host,
            port: url.port_or_known_default().unwrap_or(80),
            https: url.scheme() == "https",
        };
        if !servers.contains(&server) {
            servers.push(server);
        }
    }
    servers
}

/// What was found at `server`, or why it fails.
async fn connect(server: &Server, tls: &Tls) -> Result<String, String> {
    let Server { host, port, https } = server;
    let tcp = tokio::net::TcpStream::connect((host.as_str(), *port))
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    if !https {
        return Ok(format!("{host}:{port} accepts connections"));
    }
    tls.handshake(host, tcp)
        .await
        .map_err(|e| format!("{host}:{port}: {e}"))?;
    Ok(format!(
        "{host}:{port} accepts TLS connections (certificate verified)"
    ))
}
