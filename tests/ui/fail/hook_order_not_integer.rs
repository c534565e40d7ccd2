use asyncworker::prelude::*;

#[on_shutdown(order = "x")]
async fn stop(_app: &App) {}

fn main() {}
