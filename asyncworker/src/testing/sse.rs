//! What a test does with the SSE routes: feed them events.

use super::worker::TestWorker;

impl TestWorker {
    /// Sends one event (`event:` `name`, `id:` `id`, `data:` `data`) to every SSE route that
    /// reads `path`, as its server would stream it.
    ///
    /// # Panics
    /// If no SSE route reads `path`.
    pub fn sse_send(&self, path: &str, name: &str, id: Option<&str>, data: &str) {
        let feeds = &self.parts.transports.feeds;
        if feeds.send(path, name, id, data) == 0 {
            let paths = feeds.paths();
            panic!("no SSE route reads {path:?}; the paths are {paths:?}");
        }
    }
}
