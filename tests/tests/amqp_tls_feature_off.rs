//! A worker built with `default-features = false, features = ["amqp"]` (no `tls`:
//! `examples/amqp-no-tls`) given an `amqps://` URL must refuse to start, exit 1 and name the
//! feature, and never connect in clear.
//!
//! The example is built alone, with `cargo build -p amqp-no-tls`, into a target directory of
//! its own under this one: in a workspace build, feature unification turns `tls` back on, and
//! a nested cargo must not wait on the lock of the build running the tests.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use asyncworker_tests::Proc;
use asyncworker_tests::first_bytes::FirstBytes;

/// `<target>/feature-off`, next to `debug/` of the build running this test.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // <target>/debug/deps/<test>
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test executable lives in <target>/<profile>/deps");
    target.join("feature-off")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqps_without_the_tls_feature_exits_1_naming_it() {
    let target = target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = tokio::task::spawn_blocking({
        let target = target.clone();
        move || {
            Command::new(cargo)
                .args(["build", "-q", "-p", "amqp-no-tls"])
                .env("CARGO_TARGET_DIR", &target)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo build -p amqp-no-tls")
        }
    })
    .await
    .expect("cargo task");
    assert!(built.success(), "cargo build -p amqp-no-tls failed");

    // Whatever the worker would send goes through the recorder: nothing may arrive.
    let proxy = FirstBytes::start(1).await;
    let mut cmd = Command::new(target.join("debug").join("amqp-no-tls"));
    cmd.env(
        "ASYNCWORKER_AMQP_URL",
        format!("amqps://guest:secret@127.0.0.1:{}/%2f", proxy.port),
    );
    let mut worker = Proc::spawn(cmd);
    let status = worker.wait(Duration::from_secs(30)).await;
    let stderr = worker.stderr();
    assert_eq!(status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("enable the `tls` feature of asyncworker"),
        "names the feature: {stderr}"
    );
    assert!(
        !stderr.contains("secret"),
        "the password stays out: {stderr}"
    );
    assert!(
        proxy.seen().is_empty(),
        "nothing connected: {:?}",
        proxy.seen()
    );
}
