//! Certificates made by the test run: a private CA, a server certificate for `localhost`, a
//! client certificate, and a second CA that signed nothing the broker shows (for "unknown CA").

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// PEM files written into one directory.
pub struct TestPki {
    /// The CA that signed the server and client certificates.
    pub ca: PathBuf,
    /// A CA that signed nothing in use: trusting only it must fail the handshake.
    pub other_ca: PathBuf,
    /// The broker's certificate (SAN `localhost` only) and key.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A client certificate whose common name is [`CLIENT_USER`], and its key.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// The user the client certificate logs in as with EXTERNAL (RabbitMQ takes the common name).
pub const CLIENT_USER: &str = "aw-tls-client";

impl TestPki {
    /// Generates every certificate and writes them as PEM into `dir`.
    pub fn generate(dir: &Path) -> TestPki {
        let ca = ca("asyncworker test CA");
        let other = ca_params("asyncworker unrelated CA");
        let other = CertifiedIssuer::self_signed(other, KeyPair::generate().unwrap()).unwrap();
        let (server_cert, server_key) = leaf(
            &ca,
            "localhost",
            vec!["localhost".into()],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert, client_key) = leaf(
            &ca,
            CLIENT_USER,
            vec![],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let write = |name: &str, pem: &str| {
            let path = dir.join(name);
            std::fs::write(&path, pem).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
            path
        };
        TestPki {
            ca: write("ca.pem", &ca.pem()),
            other_ca: write("other-ca.pem", &other.pem()),
            server_cert: write("server.pem", &server_cert),
            server_key: write("server-key.pem", &server_key),
            client_cert: write("client.pem", &client_cert),
            client_key: write("client-key.pem", &client_key),
        }
    }
}

/// The parameters of a CA certificate named `name`.
fn ca_params(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

/// A self-signed CA named `name`.
fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    CertifiedIssuer::self_signed(ca_params(name), KeyPair::generate().unwrap()).unwrap()
}

/// A certificate and key (PEM) signed by `ca`, for `usage`.
fn leaf(
    ca: &CertifiedIssuer<'static, KeyPair>,
    common_name: &str,
    sans: Vec<String>,
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(sans).unwrap();
    p.distinguished_name.push(DnType::CommonName, common_name);
    p.extended_key_usages = vec![usage];
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = p.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}
