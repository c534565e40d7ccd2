use asyncworker::prelude::*;

// Hooks stay `async fn`; only route handlers may be blocking.
#[on_startup]
fn start(app: &App) {
    let _ = app;
}

fn main() {}
