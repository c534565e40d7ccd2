use asyncworker::prelude::*;

struct MyError;

#[on_startup]
async fn start(_app: &App) -> Result<(), MyError> {
    Ok(())
}

fn main() {}
