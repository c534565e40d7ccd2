// Expansion of the sibling `.rs` file by asyncworker-macros, rendered with prettyplease.
// Regenerate with `ASYNCWORKER_BLESS=1 cargo test -p asyncworker-macros snapshots`.

use asyncworker::prelude::*;

/// Reads or replaces one user.
async fn user(db: State<Db>, Path(id): Path<u64>, body: Json<User>) -> Json<User> {
    db.save(id, &body).await;
    body
}
::asyncworker::__private::backend_http! {
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
            ::asyncworker::__private::assert_http_extractor::<State<Db>>();
            ::asyncworker::__private::assert_http_extractor::<Path<u64>>();
            ::asyncworker::__private::assert_http_last_arg::<Json<User>, _>();
            ::asyncworker::__private::assert_http_return::<Json<User>>();
        }
        fn __asyncworker_assert_send(
            __arg0: State<Db>,
            __arg1: Path<u64>,
            __arg2: Json<User>,
        ) {
            ::asyncworker::__private::assert_send_future(user(__arg0, __arg1, __arg2));
        }
        fn __asyncworker_required_state(__needs: &mut ::asyncworker::__private::StateNeeds) {
            use ::asyncworker::__private::ProbeOther as _;
            use ::asyncworker::__private::ProbeState as _;
            (&::asyncworker::__private::StateProbe::<State<Db>>::NEW)
                .required_state(__needs);
            (&::asyncworker::__private::StateProbe::<Path<u64>>::NEW)
                .required_state(__needs);
            (&::asyncworker::__private::StateProbe::<Json<User>>::NEW)
                .required_state(__needs);
        }
        #[allow(unused_imports, clippy::needless_borrow)]
        fn __asyncworker_describe(__sig: &mut ::asyncworker::__private::HttpSignature) {
            use ::asyncworker::__private::http_probes::*;
            (&::asyncworker::__private::HttpArgProbe::<State<Db>>::NEW)
                .describe_arg(__sig, ::asyncworker::__private::unnamed_type(), true);
            (&::asyncworker::__private::HttpArgProbe::<Path<u64>>::NEW)
                .describe_arg(
                    __sig,
                    (&&::asyncworker::__private::SchemaProbe::<u64>::NEW).type_schema(),
                    true,
                );
            (&::asyncworker::__private::HttpArgProbe::<Json<User>>::NEW)
                .describe_arg(
                    __sig,
                    (&&::asyncworker::__private::SchemaProbe::<User>::NEW).type_schema(),
                    true,
                );
            (&::asyncworker::__private::HttpReplyProbe::<Json<User>>::NEW)
                .describe_reply(
                    __sig,
                    (&&::asyncworker::__private::SchemaProbe::<User>::NEW).type_schema(),
                    true,
                );
        }
        fn __asyncworker_factory() -> ::asyncworker::__private::HttpFactory {
            ::asyncworker::__private::http_factory(user)
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::HttpRouteDef {
                name: "user",
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                doc: "Reads or replaces one user.",
                paths: &["/users/{id}", "/u/{id}"],
                methods: &["GET", "PUT"],
                layers: ::asyncworker::__private::NO_HTTP_LAYERS,
                required_state: __asyncworker_required_state,
                describe: __asyncworker_describe,
                factory: __asyncworker_factory,
            }
        }
    };
}

/// Behind the layers `auth::layers` builds.
async fn admin() -> &'static str {
    "admin"
}
::asyncworker::__private::backend_http! {
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
            ::asyncworker::__private::assert_http_return::<&'static str>();
        }
        fn __asyncworker_assert_send() {
            ::asyncworker::__private::assert_send_future(admin());
        }
        fn __asyncworker_required_state(__needs: &mut ::asyncworker::__private::StateNeeds) {}
        #[allow(unused_imports, clippy::needless_borrow)]
        fn __asyncworker_describe(__sig: &mut ::asyncworker::__private::HttpSignature) {
            use ::asyncworker::__private::http_probes::*;
            (&::asyncworker::__private::HttpReplyProbe::<&'static str>::NEW)
                .describe_reply(__sig, ::asyncworker::__private::unnamed_type(), true);
        }
        fn __asyncworker_factory() -> ::asyncworker::__private::HttpFactory {
            ::asyncworker::__private::http_factory(admin)
        }
        ::asyncworker::__private::inventory::submit! {
            ::asyncworker::__private::HttpRouteDef {
                name: "admin",
                module_path: ::core::module_path!(),
                file: ::core::file!(),
                line: ::core::line!(),
                doc: "Behind the layers `auth::layers` builds.",
                paths: &["/admin"],
                methods: &["GET"],
                layers: ::asyncworker::__private::http_route_layers(auth::layers),
                required_state: __asyncworker_required_state,
                describe: __asyncworker_describe,
                factory: __asyncworker_factory,
            }
        }
    };
}
