//! The URLs of an AMQP connection, default or named.
//!
//! This belongs to the AMQP backend, not to the settings core: it stays here, where the crate
//! finds it today, until `amqp/connection.rs` takes it.

use super::Settings;
use super::parse::parse_list;

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
        let var = format!(
            "ASYNCWORKER_AMQP_{}_URL",
            name.to_ascii_uppercase().replace(['-', '.', ' '], "_")
        );
        match lookup(&var) {
            Some(v) => Ok(parse_list(&v)),
            None => Err(format!(
                "connection `{name}` has no URL: set {var} (or Settings::amqp_connections)"
            )),
        }
    }
}
