//! Compile-fail tests built against asyncworker with only the `http` feature: a route of a
//! backend that is not compiled in is one error at its key, naming the feature to enable.

#[test]
fn routes_of_missing_backends() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
