use asyncworker::prelude::*;

#[on_shutdown]
async fn stop(_app: &App) -> u32 {
    0
}

fn main() {}
