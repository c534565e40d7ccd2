use asyncworker::prelude::*;

struct Db;

// Each wrong part is reported at its own type; the data must be `Deserialize`.
#[route(sse = ["/v2/events"], url = "http://127.0.0.1:8080", bulk_size = 10)]
async fn handle(db: &Db, events: Vec<Event<Db>>) -> Option<()> {
    let _ = (db, events);
    None
}

fn main() {}
