//! The logs of a whole test binary, in memory: for tests that assert what the worker logged.

use std::io::Write;
use std::sync::{Mutex, Once};

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Sends this binary's logs at `level` and above to memory. Call it first thing in every test
/// that reads them, so that it is set before `Running::start` installs the usual test
/// subscriber (which then finds one set); the first call's `level` wins.
pub fn capture(level: &str) {
    struct Sink;
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            LOGS.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(level))
            .with_ansi(false)
            .with_writer(|| Sink)
            .init();
    });
}

/// Everything captured so far, as text.
pub fn text() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}
