//! The URLs and TLS files of an AMQP connection, default or named.
//!
//! This belongs to the AMQP backend, not to the settings core: it stays here, where the crate
//! finds it today, until `amqp/connection.rs` takes it.

use super::Settings;
use super::parse::parse_list;

/// The PEM files an `amqps://` connection uses; each is optional. Without any, the server is
/// verified against the system roots and no client certificate is shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AmqpTls {
    /// Extra roots (a private CA) the server is verified against, besides the system roots.
    pub ca_file: Option<String>,
    /// The client certificate (chain) shown to the broker; needs `key_file`.
    pub cert_file: Option<String>,
    /// The private key of `cert_file` (PKCS#8, PKCS#1 or SEC1 PEM).
    pub key_file: Option<String>,
}

/// One TLS file of a connection and the setting it came from (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsFile {
    /// The variable that sets it, e.g. `ASYNCWORKER_AMQP_TLS_CA_FILE`.
    pub(crate) var: String,
    pub(crate) path: String,
}

/// The TLS files of one connection, each named after its variable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConnectionTls {
    pub(crate) ca: Option<TlsFile>,
    pub(crate) cert: Option<TlsFile>,
    pub(crate) key: Option<TlsFile>,
}

impl Settings {
    /// The URLs of a connection: the default one (`None`) or a named one, from
    /// [`Settings::amqp_connections`] or else `ASYNCWORKER_AMQP_<NAME>_URL` (comma-separated for
    /// failover). The error names the variable to set.
    pub(crate) fn connection_urls(
        &self,
        name: Option<&str>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<String>, String> {
        let Some(name) = name else {
            return Ok(self.amqp_urls.clone());
        };
        if let Some(urls) = self.amqp_connections.get(name) {
            return Ok(urls.clone());
        }
        let var = connection_var(Some(name), "URL");
        match lookup(&var) {
            Some(v) => Ok(parse_list(&v)),
            None => Err(format!(
                "connection `{name}` has no URL: set {var} (or Settings::amqp_connections)"
            )),
        }
    }

    /// The TLS files of a connection: [`Settings::amqp_tls`] for the default one, else
    /// [`Settings::amqp_connections_tls`] or `ASYNCWORKER_AMQP_<NAME>_TLS_*_FILE`. A named
    /// connection does not inherit the default one's files (it may be another broker).
    pub(crate) fn connection_tls(
        &self,
        name: Option<&str>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> ConnectionTls {
        let set = match name {
            None => Some(&self.amqp_tls),
            Some(n) => self.amqp_connections_tls.get(n),
        };
        let file = |suffix: &str, given: Option<&Option<String>>| {
            let var = connection_var(name, suffix);
            let path = match given {
                Some(path) => path.clone(),
                None => lookup(&var).filter(|p| !p.trim().is_empty()),
            };
            path.map(|path| TlsFile { var, path })
        };
        ConnectionTls {
            ca: file("TLS_CA_FILE", set.map(|t| &t.ca_file)),
            cert: file("TLS_CERT_FILE", set.map(|t| &t.cert_file)),
            key: file("TLS_KEY_FILE", set.map(|t| &t.key_file)),
        }
    }
}

/// `ASYNCWORKER_AMQP_<suffix>` for the default connection, `ASYNCWORKER_AMQP_<NAME>_<suffix>`
/// for a named one (upper-cased, `-`, `.` and spaces as `_`).
fn connection_var(name: Option<&str>, suffix: &str) -> String {
    match name {
        None => format!("ASYNCWORKER_AMQP_{suffix}"),
        Some(name) => format!(
            "ASYNCWORKER_AMQP_{}_{suffix}",
            name.to_ascii_uppercase().replace(['-', '.', ' '], "_")
        ),
    }
}
