// Expansion of the sibling `.rs` file by asyncworker-macros, rendered with prettyplease.
// Regenerate with `ASYNCWORKER_BLESS=1 cargo test -p asyncworker-macros snapshots`.

use asyncworker::prelude::*;

/// Stores orders from two queues, up to ten at a time; a failed bulk is retried three times,
/// thirty seconds apart, then parked.
async fn store(db: State<Db>, messages: Vec<Message<Order>>) -> anyhow::Result<()> {
    db.store(&messages).await
}
::asyncworker::__private::backend_amqp! {
    #[doc(hidden)]
    #[allow(
        dead_code,
        non_snake_case,
        unused_qualifications,
        clippy::all,
        clippy::pedantic,
        clippy::nursery
    )]
    const _: () = {
        fn __asyncworker_check_signature() {
            ::asyncworker::__private::assert_extractor::<State<Db>>();
            ::asyncworker::__private::assert_messages::<Vec<Message<Order>>, 10u16>();
            ::asyncworker::__private::assert_handler_return::<anyhow::Result<()>>();
        }
        fn __asyncworker_assert_send(__arg0: State<Db>, __arg1: Vec<Message<Order>>) {
            ::asyncworker::__private::assert_send_future(store(__arg0, __arg1));
        }
        fn __asyncworker_check_codec() {
            ::asyncworker::__private::assert_codec::<
                ::asyncworker::__private::Json,
                Order,
            >();
        }
        fn __asyncworker_message() -> ::asyncworker::__private::TypeSchema {
            #[allow(unused_imports)]
            use ::asyncworker::__private::probes::*;
            (&&::asyncworker::__private::SchemaProbe::<Order>::NEW).type_schema()
        }
        fn __asyncworker_factory() -> ::asyncworker::__private::AmqpFactory {
            ::asyncworker::__private::amqp_factory::<
                10u16,
                ::asyncworker::__private::Json,
                _,
                _,
            >(store)
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::AmqpRouteDef {
                name: "store-orders",
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                doc: "Stores orders from two queues, up to ten at a time; a failed bulk is retried three times,\nthirty seconds apart, then parked.",
                queues: &["orders", "orders.priority"],
                options: ::asyncworker::__private::AmqpOptions {
                    vhost: ::core::option::Option::Some("shop"),
                    bulk_size: 10u16,
                    bulk_flush_ms: 500u64,
                    prefetch: ::core::option::Option::Some(40u16),
                    concurrency: 2u16,
                    on_exception: ::asyncworker::__private::Action::Reject,
                    timeout_ms: ::core::option::Option::Some(5000u64),
                    retries: 3u16,
                    retry_delay_ms: 30000u64,
                    dead_letter: ::core::option::Option::Some("orders.parking"),
                    declare: true,
                    queue_type: ::asyncworker::__private::QueueType::Quorum,
                    ..::asyncworker::__private::AmqpOptions::DEFAULT
                },
                message: __asyncworker_message,
                factory: __asyncworker_factory,
            }
        }
    };
}
