//! The end of every backend's run: wait for its tasks within the shutdown deadline, then
//! abort what is left.

use std::time::Duration;

use tokio::task::JoinSet;

/// Awaits every task of `tasks` within `deadline`; past it, aborts the rest (and awaits their
/// cancellation, so that nothing of the backend outlives its run). `kind` labels the logs,
/// `abandoned` says what aborting means for this backend's work. Returns whether everything
/// finished in time.
pub(crate) async fn drain<T: 'static>(
    tasks: &mut JoinSet<T>,
    deadline: Duration,
    kind: &str,
    abandoned: &str,
) -> bool {
    let finished = tokio::time::timeout(deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if !finished {
        tracing::warn!(
            deadline = ?deadline,
            unfinished = tasks.len(),
            "{kind}: shutdown deadline passed; {abandoned}"
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    finished
}
