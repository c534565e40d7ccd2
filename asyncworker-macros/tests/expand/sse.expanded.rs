// Expansion of the sibling `.rs` file by asyncworker-macros, rendered with prettyplease.
// Regenerate with `ASYNCWORKER_BLESS=1 cargo test -p asyncworker-macros snapshots`.

use asyncworker::prelude::*;

/// Follows two event streams of one server, fifty events at a time.
async fn watch(totals: State<Totals>, events: Vec<Event<Status>>) -> anyhow::Result<()> {
    totals.add(events.len());
    Ok(())
}
::asyncworker::__private::backend_sse! {
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
            ::asyncworker::__private::assert_extractor::<State<Totals>>();
            ::asyncworker::__private::assert_events::<Vec<Event<Status>>>();
            ::asyncworker::__private::assert_handler_return::<anyhow::Result<()>>();
        }
        fn __asyncworker_assert_send(__arg0: State<Totals>, __arg1: Vec<Event<Status>>) {
            ::asyncworker::__private::assert_send_future(watch(__arg0, __arg1));
        }
        fn __asyncworker_check_codec() {
            ::asyncworker::__private::assert_codec::<
                ::asyncworker::__private::Json,
                Status,
            >();
        }
        fn __asyncworker_message() -> ::asyncworker::__private::TypeSchema {
            #[allow(unused_imports)]
            use ::asyncworker::__private::probes::*;
            (&&::asyncworker::__private::SchemaProbe::<Status>::NEW).type_schema()
        }
        fn __asyncworker_factory() -> ::asyncworker::__private::SseFactory {
            ::asyncworker::__private::sse_factory::<
                ::asyncworker::__private::Json,
                _,
                _,
            >(watch)
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::SseRouteDef {
                name: "watch",
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                doc: "Follows two event streams of one server, fifty events at a time.",
                paths: &["/v2/events", "/v2/status"],
                options: ::asyncworker::__private::SseOptions {
                    url: ::core::option::Option::Some("http://127.0.0.1:8080"),
                    headers: &["Authorization: Bearer ${TOKEN}"],
                    bulk_size: 50u16,
                    bulk_flush_ms: 2000u64,
                    idle_timeout_ms: 45000u64,
                    ..::asyncworker::__private::SseOptions::DEFAULT
                },
                message: __asyncworker_message,
                factory: __asyncworker_factory,
            }
        }
    };
}
