use asyncworker::prelude::*;

#[on_startup(priority = 1)]
async fn start(_app: &App) {}

fn main() {}
