use asyncworker::prelude::*;

#[route(amqp = ["q"])]
async fn handle(message: Message<u8>) {
    let _ = message;
}

asyncworker::main!(shutdown_timeout = "10s", prefech = 10);
