use std::rc::Rc;

use asyncworker::prelude::*;

async fn work() {}

#[route(http = ["/"])]
async fn index() -> String {
    let held = Rc::new(1);
    work().await;
    held.to_string()
}

fn main() {}
