//! Routes and hooks declared inside a function body are registered like any other.

use asyncworker::{MainOptions, Settings, Worker};

fn main() {
    use asyncworker::prelude::*;

    #[route(amqp = ["fn.body"], bulk_size = 3)]
    async fn local(messages: Vec<Message<u8>>) {
        let _ = messages;
    }

    #[on_startup]
    async fn local_start(_app: &App) {}

    let settings = Settings::from_lookup(|_| None, &MainOptions::DEFAULT).unwrap();
    let listing = Worker::new(settings).describe_routes().unwrap();
    assert!(listing.contains(r#"queues=["fn.body"] bulk_size=3"#), "{listing}");
    assert!(listing.contains("local_start"), "{listing}");
}
