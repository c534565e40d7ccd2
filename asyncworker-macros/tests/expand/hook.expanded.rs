// Expansion of the sibling `.rs` file by asyncworker-macros, rendered with prettyplease.
// Regenerate with `ASYNCWORKER_BLESS=1 cargo test -p asyncworker-macros snapshots`.

use asyncworker::prelude::*;

/// Connects the database before any route starts.
async fn connect(app: &App) -> anyhow::Result<()> {
    app.insert(Db::connect().await?);
    Ok(())
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
    fn __asyncworker_hook<'a>(
        __asyncworker_app: &'a ::asyncworker::__private::App,
    ) -> ::asyncworker::__private::BoxFuture<'a, ::asyncworker::__private::HookResult> {
        ::asyncworker::__private::box_hook::<
            anyhow::Result<()>,
            _,
        >(connect(__asyncworker_app))
    }
    ::asyncworker::__private::inventory::submit! {
        ::asyncworker::__private::HookDef {
            name: "connect",
            module_path: ::core::module_path!(),
            file: ::core::file!(),
            line: ::core::line!(),
            kind: ::asyncworker::__private::HookKind::Startup,
            order: -5i32,
            run: __asyncworker_hook,
        }
    }
};

/// Flushes the database once every route has drained.
async fn close(app: &App) {
    app.state::<Db>().close().await;
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
    fn __asyncworker_hook<'a>(
        __asyncworker_app: &'a ::asyncworker::__private::App,
    ) -> ::asyncworker::__private::BoxFuture<'a, ::asyncworker::__private::HookResult> {
        ::asyncworker::__private::box_hook(close(__asyncworker_app))
    }
    ::asyncworker::__private::inventory::submit! {
        ::asyncworker::__private::HookDef {
            name: "close",
            module_path: ::core::module_path!(),
            file: ::core::file!(),
            line: ::core::line!(),
            kind: ::asyncworker::__private::HookKind::Shutdown,
            order: 0i32,
            run: __asyncworker_hook,
        }
    }
};
