use asyncworker::prelude::*;

#[route(http = [])]
async fn no_path() {}

#[route(http = ["/"], methods = [])]
async fn no_method() {}

fn main() {}
