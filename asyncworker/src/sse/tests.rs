//! Unit tests of the SSE backend's own helpers (the parser has its tests beside it).

use super::resolve::interpolate;

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
