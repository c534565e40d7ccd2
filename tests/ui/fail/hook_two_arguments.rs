use asyncworker::prelude::*;

#[on_startup]
async fn start(_app: &App, _extra: u32) {}

fn main() {}
