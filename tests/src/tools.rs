//! Outside tools the document tests run on what a worker prints (the AsyncAPI parser on node,
//! openapi-spec-validator and schemathesis on Python), and the files they read.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `program ARGS` under `timeout SECONDS`, to its end: its exit code and everything it
/// wrote (stdout, then stderr). Panics with `hint` (how to install it) if it cannot start.
pub fn run_tool(seconds: u32, cmd: Command, hint: &str) -> (Option<i32>, String) {
    let program = cmd.get_program().to_owned();
    let mut timed = Command::new("timeout");
    timed
        .arg(seconds.to_string())
        .arg(program)
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    let out = timed
        .output()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}; {hint}", cmd.get_program()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// `text` in a file of the temp dir named `name` (make it unique with `unique_prefix`).
pub fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
    path
}

/// The AsyncAPI validator's folder: `tests/js`, with its `node_modules` from `npm ci`.
fn js_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    assert!(
        dir.join("node_modules/@asyncapi/parser").is_dir(),
        "the AsyncAPI parser is not installed: run `npm ci` in {dir:?} (.ci/run does)"
    );
    dir
}

/// Runs the AsyncAPI project's parser on `file`: its exit code and diagnostics.
pub fn validate_asyncapi(file: &Path) -> (Option<i32>, String) {
    let dir = js_dir();
    let mut node = Command::new("node");
    node.arg(dir.join("validate-asyncapi.mjs"))
        .arg(file)
        .current_dir(&dir);
    run_tool(120, node, "install Node.js 20 or later (.ci/run does)")
}
