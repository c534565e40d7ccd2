// Expansion of the sibling `.rs` file by asyncworker-macros, rendered with prettyplease.
// Regenerate with `ASYNCWORKER_BLESS=1 cargo test -p asyncworker-macros snapshots`.

use asyncworker::prelude::*;

/// Publishes the totals every thirty seconds, and once at start.
async fn report(app: App) -> anyhow::Result<()> {
    app.state::<Totals>().publish().await
}
::asyncworker::__private::backend_schedule! {
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
            ::asyncworker::__private::assert_schedule_arg::<App>();
            ::asyncworker::__private::assert_handler_return::<anyhow::Result<()>>();
        }
        fn __asyncworker_assert_send(__arg0: App) {
            ::asyncworker::__private::assert_send_future(report(__arg0));
        }
        fn __asyncworker_factory() -> ::asyncworker::__private::ScheduleFactory {
            ::asyncworker::__private::schedule_factory::<_, _>(report)
        }
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
            ::asyncworker::__private::inventory::submit! {
                ::asyncworker::__private::PublishesDef {
                    name: "report",
                    module_path: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                    backend: "every",
                    doc: "Publishes the totals every thirty seconds, and once at start.",
                    publishes: &[
                        ::asyncworker::__private::Publish {
                            exchange: "stats",
                            routing_key: "totals",
                            message: ::core::option::Option::Some({
                                fn __asyncworker_published() -> ::asyncworker::__private::TypeSchema {
                                    #[allow(unused_imports)]
                                    use ::asyncworker::__private::probes::*;
                                    (&&::asyncworker::__private::SchemaProbe::<Totals>::NEW)
                                        .type_schema()
                                }
                                __asyncworker_published
                                    as fn() -> ::asyncworker::__private::TypeSchema
                            }),
                        },
                        ::asyncworker::__private::Publish {
                            exchange: "",
                            routing_key: "audit",
                            message: ::core::option::Option::None,
                        },
                    ],
                }
            }
        };
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::ScheduleRouteDef {
                name: "report",
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                doc: "Publishes the totals every thirty seconds, and once at start.",
                trigger: ::asyncworker::__private::Trigger::Every(30000u64),
                options: ::asyncworker::__private::ScheduleOptions {
                    immediately: true,
                    timeout_ms: ::core::option::Option::Some(10000u64),
                    ..::asyncworker::__private::ScheduleOptions::DEFAULT
                },
                factory: __asyncworker_factory,
            }
        }
    };
}

/// Compacts the store at the top of every hour; a plain `fn` runs on the blocking pool.
fn compact(db: State<Db>) {
    db.compact();
}
::asyncworker::__private::backend_schedule! {
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
            ::asyncworker::__private::assert_schedule_arg::<State<Db>>();
        }
        fn __asyncworker_blocking(
            __arg0: State<Db>,
        ) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send + 'static {
            ::asyncworker::__private::run_blocking(move || compact(__arg0))
        }
        fn __asyncworker_assert_send(__arg0: State<Db>) {
            ::asyncworker::__private::assert_send_future(__asyncworker_blocking(__arg0));
        }
        fn __asyncworker_factory() -> ::asyncworker::__private::ScheduleFactory {
            ::asyncworker::__private::schedule_factory::<_, _>(__asyncworker_blocking)
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::ScheduleRouteDef {
                name: "compact",
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                doc: "Compacts the store at the top of every hour; a plain `fn` runs on the blocking pool.",
                trigger: ::asyncworker::__private::Trigger::Cron("0 0 * * * *"),
                options: ::asyncworker::__private::ScheduleOptions {
                    max_concurrency: 2u16,
                    ..::asyncworker::__private::ScheduleOptions::DEFAULT
                },
                factory: __asyncworker_factory,
            }
        }
    };
}
