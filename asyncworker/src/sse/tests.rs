//! Unit tests of the SSE backend's own helpers (the parser has its tests beside it).

use super::resolve::{interpolate, stream_urls};
use super::tls::Tls;

#[test]
fn interpolation() {
    let env = |k: &str| (k == "TOKEN").then(|| "s3cr3t".to_owned());
    assert_eq!(
        interpolate("Bearer ${TOKEN}", &env).as_deref(),
        Ok("Bearer s3cr3t")
    );
    assert_eq!(
        interpolate("$$5 $x ${TOKEN}$", &env).as_deref(),
        Ok("$5 $x s3cr3t$")
    );
    assert_eq!(interpolate("${NOPE}", &env), Err("NOPE".to_owned()));
    assert_eq!(interpolate("${unclosed", &env).as_deref(), Ok("${unclosed"));
}

/// `https://` is a stream URL with the `tls` feature, and a problem naming it without; other
/// schemes never are.
#[test]
fn https_urls_need_the_tls_feature() {
    let mut problems = Vec::new();
    let urls = stream_urls(
        "https://events.example.com/",
        &["/v2/events"],
        &mut problems,
    );
    if cfg!(feature = "tls") {
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(urls[0].as_str(), "https://events.example.com/v2/events");
    } else {
        assert!(urls.is_empty());
        assert!(
            problems[0].contains("needs asyncworker's `tls` feature"),
            "{problems:?}"
        );
    }
    let mut problems = Vec::new();
    assert!(stream_urls("ftp://example.com", &["/e"], &mut problems).is_empty());
    assert!(
        problems[0].contains("not an http:// or https:// URL"),
        "{problems:?}"
    );
}

/// A CA file is read when the TLS configuration is built: a missing one is an error naming
/// the variable (and, without the `tls` feature, any CA file is).
#[test]
fn a_missing_ca_file_names_the_variable() {
    let mut settings = crate::settings::Settings::default();
    assert!(Tls::new(&settings).is_ok());
    settings.sse_tls_ca_file = Some("/surely/not/here/ca.pem".into());
    let e = Tls::new(&settings).err().expect("refused");
    assert!(e.contains("ASYNCWORKER_SSE_TLS_CA_FILE"), "{e}");
}
