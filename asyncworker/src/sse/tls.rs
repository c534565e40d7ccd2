//! TLS of `https://` streams: rustls with the ring provider, each server verified against the
//! system's roots plus `ASYNCWORKER_SSE_TLS_CA_FILE`, its host name always checked (there is no
//! switch to turn either off). Built without the `tls` feature, nothing here connects: an
//! `https://` URL is refused when the routes are resolved, and a CA file when this is built.

#[cfg(feature = "tls")]
use std::sync::Arc;

use crate::settings::Settings;

/// The variable that names the CA file, as problems name it.
pub(crate) const CA_FILE_VAR: &str = "ASYNCWORKER_SSE_TLS_CA_FILE";

/// The TLS configuration shared by every stream (through the HTTP client) and `--check`.
#[derive(Clone)]
pub(crate) struct Tls {
    #[cfg(feature = "tls")]
    config: Arc<rustls::ClientConfig>,
}

impl Tls {
    /// The configuration `settings` ask for; `Err` says why it cannot be had (a CA file that is
    /// missing, unreadable or holds no certificate, or one given to a build without TLS).
    pub(crate) fn new(settings: &Settings) -> Result<Tls, String> {
        #[cfg(feature = "tls")]
        {
            let ca_file = settings.sse_tls_ca_file.as_deref();
            Ok(Tls {
                config: Arc::new(with_ring::client_config(ca_file)?),
            })
        }
        #[cfg(not(feature = "tls"))]
        {
            match &settings.sse_tls_ca_file {
                Some(_) => Err(format!(
                    "{CA_FILE_VAR} is set, but this build of asyncworker has no `tls` feature"
                )),
                None => Ok(Tls {}),
            }
        }
    }

    /// `builder` with this configuration as its TLS: reqwest's own would trust no root (its
    /// `rustls-tls-manual-roots` feature is there only to give it rustls on ring).
    pub(crate) fn configure(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        #[cfg(feature = "tls")]
        {
            builder.use_preconfigured_tls(rustls::ClientConfig::clone(&self.config))
        }
        #[cfg(not(feature = "tls"))]
        {
            builder
        }
    }

    /// A TLS handshake with `host` over `tcp` (then closed): `Err` says why it failed.
    pub(crate) async fn handshake(
        &self,
        host: &str,
        tcp: tokio::net::TcpStream,
    ) -> Result<(), String> {
        #[cfg(feature = "tls")]
        {
            with_ring::handshake(&self.config, host, tcp).await
        }
        #[cfg(not(feature = "tls"))]
        {
            // `https://` URLs never get past resolution without the feature.
            let _ = (host, tcp);
            Err("this build of asyncworker has no `tls` feature".to_owned())
        }
    }
}

/// The parts that exist only with the `tls` feature.
#[cfg(feature = "tls")]
mod with_ring {
    use std::path::Path;
    use std::sync::Arc;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use rustls::{ClientConfig, RootCertStore};

    use super::CA_FILE_VAR;

    /// The system's roots (those it cannot parse are skipped, as a browser would), plus every
    /// certificate in `ca_file`, which must all be valid.
    pub(super) fn client_config(ca_file: Option<&Path>) -> Result<ClientConfig, String> {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, ignored, errors = ?native.errors, "SSE: system root certificates");
        if let Some(path) = ca_file {
            for cert in ca_certs(path)? {
                roots.add(cert).map_err(|e| {
                    format!("{CA_FILE_VAR}={path:?}: a certificate is not a valid root: {e}")
                })?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot configure TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }

    /// The certificates of a PEM file; at least one.
    fn ca_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
        let pem = std::fs::read(path)
            .map_err(|e| format!("{CA_FILE_VAR}={path:?} cannot be read: {e}"))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{CA_FILE_VAR}={path:?} is not a valid PEM file: {e}"))?;
        if certs.is_empty() {
            return Err(format!("{CA_FILE_VAR}={path:?} holds no PEM certificate"));
        }
        Ok(certs)
    }

    /// A handshake with `host` (verified as a stream's would be) over `tcp`.
    pub(super) async fn handshake(
        config: &Arc<ClientConfig>,
        host: &str,
        tcp: tokio::net::TcpStream,
    ) -> Result<(), String> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("{host:?} is not a valid TLS server name: {e}"))?;
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
        match connector.connect(name, tcp).await {
            Ok(stream) => {
                drop(stream);
                Ok(())
            }
            Err(e) => Err(format!("TLS handshake failed: {e}")),
        }
    }
}
