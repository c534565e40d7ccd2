use asyncworker::prelude::*;

#[on_startup]
async fn start(app: App) {
    let _ = app;
}

fn main() {}
