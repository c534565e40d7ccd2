use asyncworker::prelude::*;

struct Service;

impl Service {
    #[route(amqp = ["q"])]
    async fn handle(&self, messages: Vec<Message<u8>>) {
        let _ = messages;
    }
}

fn main() {}
