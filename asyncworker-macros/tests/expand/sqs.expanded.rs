// Expansion of the sibling `.rs` file by asyncworker-macros, rendered with prettyplease.
// Regenerate with `ASYNCWORKER_BLESS=1 cargo test -p asyncworker-macros snapshots`.

use asyncworker::prelude::*;

/// Stores orders from a standard queue and a FIFO queue given by URL, up to ten at a time; a
/// failed bulk is retried three times, 10 seconds then a minute later, then parked.
async fn store(db: State<Db>, messages: Vec<SqsMessage<Order>>) -> anyhow::Result<()> {
    db.store(&messages).await
}
::asyncworker::__private::backend_sqs! {
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
            ::asyncworker::__private::assert_sqs_messages::<Vec<SqsMessage<Order>>, 10u16>();
            ::asyncworker::__private::assert_handler_return::<anyhow::Result<()>>();
        }
        fn __asyncworker_assert_send(__arg0: State<Db>, __arg1: Vec<SqsMessage<Order>>) {
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
        fn __asyncworker_factory() -> ::asyncworker::__private::SqsFactory {
            ::asyncworker::__private::sqs_factory_with(
                ::asyncworker::__private::sqs_typed::<
                    10u16,
                    ::asyncworker::__private::Json,
                    _,
                    _,
                >(store),
                on_failure,
            )
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::SqsRouteDef {
                name: "store",
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                doc: "Stores orders from a standard queue and a FIFO queue given by URL, up to ten at a time; a\nfailed bulk is retried three times, 10 seconds then a minute later, then parked.",
                queues: &[
                    "orders",
                    "https://sqs.eu-west-1.amazonaws.com/123456789012/orders.fifo",
                ],
                options: ::asyncworker::__private::SqsOptions {
                    bulk_size: 10u16,
                    bulk_flush_ms: 2000u64,
                    concurrency: 2u16,
                    on_decode_error: ::asyncworker::__private::Action::Ack,
                    timeout_ms: ::core::option::Option::Some(20000u64),
                    retries: 3u16,
                    retry_delay_ms: 10000u64,
                    retry_delays_ms: &[10000u64, 60000u64],
                    dead_letter: ::core::option::Option::Some("orders-dlq"),
                    wait_time_s: 20u8,
                    visibility_timeout_s: 60u32,
                    ..::asyncworker::__private::SqsOptions::DEFAULT
                },
                message: __asyncworker_message,
                factory: __asyncworker_factory,
            }
        }
    };
}
