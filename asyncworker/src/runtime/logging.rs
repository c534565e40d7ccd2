//! The tracing subscriber a worker installs: filter, format, and which stream the logs use.

use crate::settings::{LogFormat, Settings};

/// Where the logs go.
#[derive(Clone, Copy)]
pub(super) enum Output {
    /// A running worker: stdout, where a service manager collects it.
    Stdout,
    /// `--check`: its report owns stdout.
    Stderr,
}

/// Installs the subscriber the settings ask for (filter from `log`, `log_format`), writing to
/// `output`.
pub(super) fn init_tracing(settings: &Settings, output: Output) {
    use tracing_subscriber::EnvFilter;
    let filter = settings
        .log
        .as_deref()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    // try_init: a subscriber the user installed first is kept.
    let _ = match (settings.log_format, output) {
        (LogFormat::Json, Output::Stdout) => builder.json().try_init(),
        (LogFormat::Pretty, Output::Stdout) => builder.try_init(),
        (LogFormat::Json, Output::Stderr) => builder.json().with_writer(std::io::stderr).try_init(),
        (LogFormat::Pretty, Output::Stderr) => builder.with_writer(std::io::stderr).try_init(),
    };
}
