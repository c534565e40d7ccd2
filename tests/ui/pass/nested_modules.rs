//! Routes and hooks in nested modules, and a route with the same function name in two modules
//! (told apart by `name`).

mod orders {
    use asyncworker::prelude::*;

    #[route(amqp = ["nested.orders"], bulk_size = 20)]
    pub(crate) async fn handle(messages: Vec<Message<u64>>) {
        let _ = messages;
    }

    pub(crate) mod priority {
        use asyncworker::{App, Message, on_shutdown, on_startup, route};

        #[route(amqp = ["nested.orders.priority"], name = "priority-orders")]
        pub(crate) async fn handle(message: Message<u64>) {
            let _ = message;
        }

        #[on_startup]
        pub(super) async fn start(_app: &App) {}

        #[on_shutdown(order = 3)]
        async fn stop(_app: &App) {}
    }
}

mod lifecycle {
    use asyncworker::App;

    #[asyncworker::on_startup(order = 2147483647)]
    async fn exit_before_connecting(_app: &App) {
        std::process::exit(0);
    }
}

asyncworker::main!(init_tracing = false);
