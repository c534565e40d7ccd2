use asyncworker::prelude::*;

#[on_startup]
async fn start() {}

fn main() {}
