//! Compile-time diagnostics of `#[route]`, `#[on_startup]`/`#[on_shutdown]` and `main!`.
//!
//! `ui/pass/*.rs` must compile and run; `ui/fail/*.rs` must fail with exactly the neighbouring
//! `.stderr`. After a toolchain bump or a message change, regenerate with
//! `TRYBUILD=overwrite cargo test -p asyncworker-tests --test ui` and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
