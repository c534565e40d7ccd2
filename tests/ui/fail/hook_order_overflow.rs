use asyncworker::prelude::*;

#[on_startup(order = 3000000000)]
async fn start(_app: &App) {}

fn main() {}
