//! SIGINT/SIGTERM: the first asks for a graceful shutdown, the second exits at once.

use tokio_util::sync::CancellationToken;

/// First SIGINT/SIGTERM: graceful shutdown. Second: exit at once.
pub(super) async fn watch_signals(stop: CancellationToken) {
    // The listeners are installed once, so a second signal arriving right after the first
    // is not lost between two registrations.
    let mut signals = Signals::install();
    signals.recv().await;
    tracing::info!("signal received: shutting down gracefully (send it again to exit at once)");
    stop.cancel();
    signals.recv().await;
    tracing::warn!("second signal: exiting now; unacked messages will be redelivered");
    std::process::exit(130);
}

/// The process's SIGINT and SIGTERM listeners; either signal counts.
#[cfg(unix)]
struct Signals {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
        }
    }

    /// The next SIGINT or SIGTERM; with neither listener installed, Ctrl-C stands in.
    async fn recv(&mut self) {
        async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        if self.int.is_none() && self.term.is_none() {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
        tokio::select! {
            () = next(&mut self.int) => {}
            () = next(&mut self.term) => {}
        }
    }
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Signals {
        Signals
    }

    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
