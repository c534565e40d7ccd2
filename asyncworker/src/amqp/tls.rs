//! TLS of AMQP connections: the PEM files a connection's `amqps://` URLs use, read once when
//! its manager is built, and the refusal of `amqps://` in a build without the `tls` feature.
//!
//! The handshake itself is lapin's (rustls with the ring provider): the server is verified
//! against the system roots plus the CA file, always with its host name; nothing here can turn
//! verification off.

use lapin::tcp::{OwnedIdentity, OwnedTLSConfig};
use lapin::uri::{AMQPScheme, AMQPUri};

use super::connection::redact;
use crate::settings::{ConnectionTls, TlsFile};

/// Why an `amqps://` URL cannot be used by this build.
pub(crate) const TLS_NOT_COMPILED: &str =
    "needs TLS, which is not compiled in: enable the `tls` feature of asyncworker";

/// Refuses an `amqps://` URL when the `tls` feature is off: lapin would then hand back the
/// plain TCP stream and send the credentials in clear.
pub(crate) fn check_scheme(uri: &AMQPUri, url: &str) -> Result<(), String> {
    if uri.scheme == AMQPScheme::AMQPS && !cfg!(feature = "tls") {
        return Err(format!("{} {TLS_NOT_COMPILED}", redact(url)));
    }
    Ok(())
}

/// What lapin gets for every connection attempt of one manager: the CA file as extra roots,
/// the client certificate and key. A file that cannot be read, or holds no PEM block of the
/// kind it should, is an error naming its variable.
pub(crate) fn config(files: &ConnectionTls) -> Result<OwnedTLSConfig, String> {
    let cert_chain = files
        .ca
        .as_ref()
        .map(|f| read(f, "CERTIFICATE"))
        .transpose()?;
    let identity = match (&files.cert, &files.key) {
        (None, None) => None,
        (Some(cert), Some(key)) => Some(OwnedIdentity::PKCS8 {
            pem: read(cert, "CERTIFICATE")?.into_bytes(),
            key: read(key, "PRIVATE KEY")?.into_bytes(),
        }),
        (Some(alone), None) | (None, Some(alone)) => {
            return Err(format!(
                "{} is set alone: a client certificate needs both its _CERT_FILE and its _KEY_FILE",
                alone.var
            ));
        }
    };
    Ok(OwnedTLSConfig {
        identity,
        cert_chain,
    })
}

/// The text of `file`, which must hold a PEM block whose label ends with `label`.
fn read(file: &TlsFile, label: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(&file.path)
        .map_err(|e| format!("{}: cannot read {}: {e}", file.var, file.path))?;
    let has_block = text
        .lines()
        .any(|l| l.starts_with("-----BEGIN ") && l.trim_end().ends_with(&format!("{label}-----")));
    if !has_block {
        return Err(format!(
            "{}: {} holds no PEM `{label}` block",
            file.var, file.path
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(var: &str, path: &std::path::Path) -> Option<TlsFile> {
        Some(TlsFile {
            var: var.into(),
            path: path.display().to_string(),
        })
    }

    #[test]
    fn missing_file_names_its_variable() {
        let files = ConnectionTls {
            ca: file(
                "ASYNCWORKER_AMQP_TLS_CA_FILE",
                "/nonexistent/ca.pem".as_ref(),
            ),
            ..ConnectionTls::default()
        };
        let e = config(&files).unwrap_err();
        assert!(
            e.starts_with("ASYNCWORKER_AMQP_TLS_CA_FILE: cannot read /nonexistent/ca.pem"),
            "{e}"
        );
    }

    #[test]
    fn certificate_without_key_names_both_variables() {
        let dir = std::env::temp_dir().join(format!("aw-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("c.pem");
        std::fs::write(
            &cert,
            "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let files = ConnectionTls {
            cert: file("ASYNCWORKER_AMQP_BILLING_TLS_CERT_FILE", &cert),
            ..ConnectionTls::default()
        };
        let e = config(&files).unwrap_err();
        assert!(
            e.contains("ASYNCWORKER_AMQP_BILLING_TLS_CERT_FILE is set alone"),
            "{e}"
        );
        let files = ConnectionTls {
            ca: file("ASYNCWORKER_AMQP_TLS_CA_FILE", &cert),
            ..ConnectionTls::default()
        };
        let tls = config(&files).unwrap();
        assert!(tls.cert_chain.is_some() && tls.identity.is_none());
        let files = ConnectionTls {
            key: file("ASYNCWORKER_AMQP_TLS_KEY_FILE", &cert),
            ..ConnectionTls::default()
        };
        assert!(
            config(&files)
                .unwrap_err()
                .contains("ASYNCWORKER_AMQP_TLS_KEY_FILE is set alone")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn amqps_is_refused_only_without_the_feature() {
        let url = "amqps://u:secret@broker.example/%2f";
        let uri: AMQPUri = url.parse().unwrap();
        assert_eq!(uri.authority.port, 5671);
        let checked = check_scheme(&uri, url);
        if cfg!(feature = "tls") {
            assert!(checked.is_ok());
        } else {
            let e = checked.unwrap_err();
            assert!(e.contains("`tls` feature") && !e.contains("secret"), "{e}");
        }
    }
}
