use asyncworker::prelude::*;

#[route(every = "1s")]
fn tick() -> impl Send {}

fn main() {}
