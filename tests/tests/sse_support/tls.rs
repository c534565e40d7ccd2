//! Certificates made by the test run (rcgen, nothing committed) and the TLS side of the test
//! SSE server: a private CA, a server certificate it signs, and the PEM file a worker is given
//! as `ASYNCWORKER_SSE_TLS_CA_FILE`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// A private CA and one server certificate it signed.
pub struct Pki {
    /// The CA's certificate, PEM.
    pub ca_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: Vec<u8>,
}

impl Pki {
    /// A fresh CA, and a certificate for `names` (`"127.0.0.1"` is an IP address SAN) signed
    /// by it.
    pub fn new(names: &[&str]) -> Pki {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A name of its own: a CA of the same name would be taken for the issuer, and the
        // failure would be a bad signature rather than an unknown CA.
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        ca.distinguished_name
            .push(DnType::CommonName, format!("asyncworker test CA {serial}"));
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().expect("server key");
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let leaf = CertificateParams::new(names).expect("server params");
        let cert = leaf.signed_by(&key, &issuer).expect("server certificate");
        Pki {
            ca_pem: ca_cert.pem(),
            chain: vec![cert.der().clone()],
            key: key.serialize_der(),
        }
    }

    /// The server side: rustls (ring) presenting the server certificate.
    pub fn acceptor(&self) -> TlsAcceptor {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .expect("server config");
        TlsAcceptor::from(Arc::new(config))
    }

    /// Writes the CA certificate to a file of its own (named after `test`) and returns its path.
    pub fn write_ca(&self, test: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "asyncworker-sse-tls-{}-{test}-ca.pem",
            std::process::id()
        ));
        std::fs::write(&path, &self.ca_pem).expect("write the CA file");
        path
    }
}
