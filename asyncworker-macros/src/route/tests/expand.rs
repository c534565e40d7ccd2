//! The tokens of valid expansions: what is emitted, where it is spanned, what it names.
//! Whole expansions, rendered as code, are in the snapshots (`tests/expand/`).

use super::*;
use crate::test_support::{assert_tokens_eq, marker};
use quote::ToTokens;

/// The whole expansion of each route kind is a snapshot (`tests/expand/*.expanded.rs`); here,
/// what becomes of the user's function: kept first, as written (docs, attributes, visibility),
/// then the gate holding the registration and nothing else.
#[test]
fn the_function_is_kept_as_written_before_its_registration() {
    let item = "/// Docs stay.\n#[inline]\npub async fn drain(s: State<Db>, msgs: Vec<Message<Order>>) \
                -> anyhow::Result<()> { todo!() }";
    let out = try_expand(
        tokens(r#"amqp = ["a", "b"], bulk_size = 10, on_exception = "reject", timeout = "5s""#),
        tokens(item),
    )
    .unwrap();
    let file: syn::File = syn::parse2(out.clone()).unwrap();
    assert_eq!(file.items.len(), 2, "the function and the gate");
    assert_tokens_eq(&file.items[0].to_token_stream(), item);
    let options = registration_options(out);
    assert_tokens_eq(
        &options,
        "::asyncworker::__private::AmqpOptions {
            bulk_size: 10u16,
            on_exception: ::asyncworker::__private::Action::Reject,
            timeout_ms: ::core::option::Option::Some(5000u64),
            ..::asyncworker::__private::AmqpOptions::DEFAULT
        }",
    );
}

/// The text of the tokens without any whitespace, so spacing differences do not matter.
fn compact(tokens: &TokenStream) -> String {
    tokens.to_string().split_whitespace().collect()
}

#[test]
fn expansion_with_every_option() {
    let attr = r#"amqp = ["q"], name = "drainer", vhost = "v", connection = "c", bulk_size = 5,
        bulk_flush = "1m30s", prefetch = 20, concurrency = 4, on_success = "requeue",
        on_exception = "ack", on_decode_error = "reject", timeout = "250ms""#;
    let out = try_expand(tokens(attr), tokens("async fn handle(m: Batch) {}")).unwrap();
    let text = compact(&out);
    for expected in [
        r#"name:"drainer""#,
        r#"vhost:::core::option::Option::Some("v")"#,
        r#"connection:::core::option::Option::Some("c")"#,
        "bulk_size:5u16",
        "bulk_flush_ms:90000u64",
        "prefetch:::core::option::Option::Some(20u16)",
        "concurrency:4u16",
        "on_success:::asyncworker::__private::Action::Requeue",
        "on_exception:::asyncworker::__private::Action::Ack",
        "on_decode_error:::asyncworker::__private::Action::Reject",
        "timeout_ms:::core::option::Option::Some(250u64)",
        "amqp_factory::<5u16,::asyncworker::__private::Json,_,_>(handle)",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in\n{text}");
    }
    // Generated code must not depend on `std` or on prelude names the user may shadow.
    let bare = text
        .replace("::core::option::Option::Some", "")
        .replace("AmqpOptions", "");
    for forbidden in ["::std", "Option", "Some", "Vec", "Result", "Box"] {
        assert!(!bare.contains(forbidden), "`{forbidden}` in\n{text}");
    }
}

#[test]
fn expansion_of_retry_and_topology_options() {
    let attr = r#"amqp = ["orders"], retries = 3, retry_delay = "10s", dead_letter = "parking",
        declare = true, queue_type = "quorum""#;
    let out = try_expand(tokens(attr), tokens(HANDLER)).unwrap();
    let options = registration_options(out);
    assert_tokens_eq(
        &options,
        r#"::asyncworker::__private::AmqpOptions {
            bulk_size: 1u16,
            retries: 3u16,
            retry_delay_ms: 10000u64,
            dead_letter: ::core::option::Option::Some("parking"),
            declare: true,
            queue_type: ::asyncworker::__private::QueueType::Quorum,
            ..::asyncworker::__private::AmqpOptions::DEFAULT
        }"#,
    );
    // Only what was written is emitted: the rest keeps the runtime's defaults.
    for (attr, fields) in [
        (r#"amqp = ["q"], retries = 5"#, "retries: 5u16,"),
        (
            r#"amqp = ["q"], retries = 0, dead_letter = "p""#,
            r#"retries: 0u16, dead_letter: ::core::option::Option::Some("p"),"#,
        ),
        (
            r#"amqp = ["q"], dead_letter = "p""#,
            r#"dead_letter: ::core::option::Option::Some("p"),"#,
        ),
        (
            r#"amqp = ["q"], retry_delay = "1m30s", retries = 10000"#,
            "retries: 10000u16, retry_delay_ms: 90000u64,",
        ),
        (
            r#"amqp = ["q"], retries = 1, retry_delay = "4294967295ms""#,
            "retries: 1u16, retry_delay_ms: 4294967295u64,",
        ),
        (
            r#"amqp = ["q"], retries = 3, retry_delay = ["1s", "30s"]"#,
            "retries: 3u16, retry_delay_ms: 1000u64, retry_delays_ms: &[1000u64, 30000u64],",
        ),
        (
            r#"amqp = ["q"], retries = 3, retry_delay = ["1s"]"#,
            "retries: 3u16, retry_delay_ms: 1000u64,",
        ),
        (
            r#"amqp = ["q"], max_redeliveries = 0"#,
            "max_redeliveries: ::core::option::Option::Some(0u16),",
        ),
        (r#"amqp = ["q"], declare = false"#, "declare: false,"),
        (
            r#"amqp = ["q"], declare = true, queue_type = "classic""#,
            "declare: true, queue_type: ::asyncworker::__private::QueueType::Classic,",
        ),
    ] {
        let out = try_expand(tokens(attr), tokens(HANDLER))
            .unwrap_or_else(|err| panic!("`{attr}` rejected: {err}"));
        assert_tokens_eq(
            &registration_options(out),
            &format!(
                "::asyncworker::__private::AmqpOptions {{ bulk_size: 1u16, {fields} \
                 ..::asyncworker::__private::AmqpOptions::DEFAULT }}"
            ),
        );
    }
}

#[test]
fn expansion_of_bindings_and_queue_arguments() {
    let attr = r#"amqp = ["docs"], declare = true, bind = ["shop:order.*", "audit:"],
        exchange_type = "headers", bind_headers = ["x-match=any", "kind=order"],
        max_length = 10, overflow = "reject-publish", message_ttl = "30s", single_active = true"#;
    let out = try_expand(tokens(attr), tokens(HANDLER)).unwrap();
    assert_tokens_eq(
        &registration_options(out),
        r#"::asyncworker::__private::AmqpOptions {
            bulk_size: 1u16,
            declare: true,
            topology: ::asyncworker::__private::TopologyOptions {
                bind: &[("shop", "order.*"), ("audit", "")],
                exchange_type: "headers",
                bind_headers: &[("x-match", "any"), ("kind", "order")],
                max_length: ::core::option::Option::Some(10u64),
                overflow: ::core::option::Option::Some("reject-publish"),
                message_ttl_ms: ::core::option::Option::Some(30000u64),
                single_active: true,
                ..::asyncworker::__private::TopologyOptions::DEFAULT
            },
            ..::asyncworker::__private::AmqpOptions::DEFAULT
        }"#,
    );
    // Without topology keys, no `topology` field: the runtime's default stays.
    let out = try_expand(tokens(r#"amqp = ["q"], declare = true"#), tokens(HANDLER)).unwrap();
    assert!(!registration_options(out).to_string().contains("topology"));
}

/// The statements of the registration's `const _` block in an expansion: the item after the
/// function is the backend gate, whose body is that block.
fn registration(out: TokenStream) -> Vec<syn::Stmt> {
    let file: syn::File = syn::parse2(out).unwrap();
    let syn::Item::Macro(gate) = &file.items[1] else {
        panic!("no backend gate");
    };
    let gated: syn::File = syn::parse2(gate.mac.tokens.clone()).unwrap();
    let [syn::Item::Const(block)] = &gated.items[..] else {
        panic!("the gate holds more than the const _ block");
    };
    let syn::Expr::Block(body) = &*block.expr else {
        panic!("const _ is not a block");
    };
    body.block.stmts.clone()
}

/// The `options: ...` expression of the route's record (`AmqpRouteDef`...) in an expansion.
pub(super) fn registration_options(out: TokenStream) -> TokenStream {
    let submit = registration(out)
        .iter()
        .find_map(|stmt| match stmt {
            syn::Stmt::Macro(m) if m.mac.path.segments.last().unwrap().ident == "submit" => {
                Some(m.mac.tokens.clone())
            }
            syn::Stmt::Item(syn::Item::Macro(m))
                if m.mac.path.segments.last().unwrap().ident == "submit" =>
            {
                Some(m.mac.tokens.clone())
            }
            _ => None,
        })
        .expect("no inventory::submit!");
    let def: syn::ExprStruct = syn::parse2(submit).unwrap();
    let options = def
        .fields
        .iter()
        .find(|field| matches!(&field.member, syn::Member::Named(n) if n == "options"))
        .expect("no `options` field");
    options.expr.to_token_stream()
}

#[test]
fn defaults_emit_only_bulk_size() {
    let out = compact(&accepts(r#"amqp = ["q"]"#));
    let options = "options:::asyncworker::__private::AmqpOptions{bulk_size:1u16,\
                   ..::asyncworker::__private::AmqpOptions::DEFAULT}";
    assert!(out.contains(options), "{out}");
    assert!(out.contains(r#"name:"handle""#), "{out}");
}

#[test]
fn raw_identifiers_are_named_without_prefix() {
    let out = try_expand(
        tokens(r#"amqp = ["q"]"#),
        tokens("async fn r#type(m: M) {}"),
    )
    .unwrap();
    let out = compact(&out);
    assert!(out.contains(r#"name:"type""#), "{out}");
    assert!(
        out.contains("amqp_factory::<1u16,::asyncworker::__private::Json,_,_>(r#type)"),
        "{out}"
    );
}

#[test]
fn factory_and_assertion_are_spanned_at_the_function_name() {
    let item = "async fn /*1*/handle(m: Vec<Message<T>>) {}";
    let out = try_expand(tokens(r#"amqp = ["q"]"#), tokens(item)).unwrap();
    let ident_pos = marker(item, 1);
    let mut spanned_at_ident = 0;
    for stmt in &registration(out) {
        if let syn::Stmt::Item(syn::Item::Fn(f)) = stmt
            && f.sig.ident != "__asyncworker_check_signature"
            && f.sig.ident != "__asyncworker_check_codec"
            && f.sig.ident != "__asyncworker_message"
        {
            // `::asyncworker` in the call: the first token of the only statement.
            let first = f.block.stmts[0]
                .to_token_stream()
                .into_iter()
                .next()
                .unwrap();
            assert_eq!(first.span().start(), ident_pos, "{}", f.sig.ident);
            spanned_at_ident += 1;
        }
    }
    assert_eq!(spanned_at_ident, 2);
}

/// The statements of `__asyncworker_check_signature` in the expansion of `item`.
pub(super) fn signature_checks(attr: &str, item: &str) -> Vec<syn::Stmt> {
    let out = try_expand(tokens(attr), tokens(item)).unwrap();
    registration(out)
        .into_iter()
        .find_map(|stmt| match stmt {
            syn::Stmt::Item(syn::Item::Fn(f)) if f.sig.ident == "__asyncworker_check_signature" => {
                Some(f.block.stmts.clone())
            }
            _ => None,
        })
        .expect("no __asyncworker_check_signature")
}

#[test]
fn each_part_of_the_signature_is_checked_at_its_type() {
    let item = "async fn handle(s: /*1*/State<Db>, _: /*2*/App, m: /*3*/Vec<Message<T>>) \
                -> /*4*/Result<(), E> {}";
    let stmts = signature_checks(r#"amqp = ["q"], bulk_size = 7"#, item);
    let expected = [
        (
            1,
            "::asyncworker::__private::assert_extractor::<State<Db>>();",
        ),
        (2, "::asyncworker::__private::assert_extractor::<App>();"),
        (
            3,
            "::asyncworker::__private::assert_messages::<Vec<Message<T>>, 7u16>();",
        ),
        (
            4,
            "::asyncworker::__private::assert_handler_return::<Result<(), E>>();",
        ),
    ];
    assert_eq!(stmts.len(), expected.len());
    for (stmt, (n, text)) in stmts.iter().zip(expected) {
        assert_tokens_eq(&stmt.to_token_stream(), text);
        // Every token of the statement, the path and the bulk size included.
        let mut all = Vec::new();
        collect_spans(stmt.to_token_stream(), &mut all);
        let ty = marker(item, n);
        for (token, span) in all {
            let start = span.start();
            assert!(
                start >= ty,
                "`{token}` of check {n} at {start:?}, before its type at {ty:?}"
            );
        }
    }
}

fn collect_spans(tokens: TokenStream, out: &mut Vec<(String, proc_macro2::Span)>) {
    for tt in tokens {
        if let proc_macro2::TokenTree::Group(group) = &tt {
            collect_spans(group.stream(), out);
        }
        out.push((tt.to_string(), tt.span()));
    }
}

#[test]
fn a_lone_argument_is_the_messages_and_no_return_type_is_not_checked() {
    let stmts = signature_checks(r#"amqp = ["q"]"#, "async fn handle(m: Message<T>) {}");
    assert_eq!(stmts.len(), 1);
    assert_tokens_eq(
        &stmts[0].to_token_stream(),
        "::asyncworker::__private::assert_messages::<Message<T>, 1u16>();",
    );
}

#[test]
fn impl_trait_types_are_left_to_the_factory() {
    let item = "async fn handle(a: impl Sized, m: Vec<impl Sized>) -> impl Sized {}";
    assert!(signature_checks(r#"amqp = ["q"]"#, item).is_empty());
    let item = "async fn handle(a: App, m: Box<dyn Fn(impl Sized)>) {}";
    let stmts = signature_checks(r#"amqp = ["q"]"#, item);
    assert_eq!(stmts.len(), 1);
    assert_tokens_eq(
        &stmts[0].to_token_stream(),
        "::asyncworker::__private::assert_extractor::<App>();",
    );
}

#[test]
fn expansion_of_an_sse_route() {
    let attr = r#"sse = ["/v2/events", "/v2/other"], url = "http://h:8080", headers = ["Authorization: Bearer ${TOKEN}"], bulk_size = 50, bulk_flush = "2s", concurrency = 2, timeout = "5s", idle_timeout = "45s", max_event_size = 65536, name = "watch""#;
    let item = "async fn handle(s: State<Db>, e: Vec<Event<Status>>) -> Result<(), E> {}";
    let out = compact(&try_expand(tokens(attr), tokens(item)).unwrap());
    for expected in [
        "::asyncworker::__private::assert_extractor::<State<Db>>();",
        "::asyncworker::__private::assert_events::<Vec<Event<Status>>>();",
        "::asyncworker::__private::assert_handler_return::<Result<(),E>>();",
        "::asyncworker::__private::sse_factory::<::asyncworker::__private::Json,_,_>(handle)",
        r#"name:"watch""#,
        r#"paths:&["/v2/events","/v2/other"]"#,
        r#"url:::core::option::Option::Some("http://h:8080")"#,
        r#"headers:&["Authorization: Bearer ${TOKEN}"]"#,
        "bulk_size:50u16",
        "bulk_flush_ms:2000u64",
        "concurrency:2u16",
        "timeout_ms:::core::option::Option::Some(5000u64)",
        "idle_timeout_ms:45000u64",
        "max_event_size:65536u64",
        "..::asyncworker::__private::SseOptions::DEFAULT",
    ] {
        let expected: String = expected.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(out.contains(&expected), "missing `{expected}` in\n{out}");
    }
    // Defaults emit nothing but the struct update.
    let out = compact(
        &try_expand(
            tokens(r#"sse = ["/e"]"#),
            tokens("async fn h(e: Vec<Event<T>>) {}"),
        )
        .unwrap(),
    );
    assert!(
        out.contains("options:::asyncworker::__private::SseOptions{..::asyncworker::__private::SseOptions::DEFAULT}"),
        "{out}"
    );
}

#[test]
fn expansion_of_an_http_route() {
    let attr = r#"http = ["/users/{id}", "/u/{id}"], methods = ["GET", "POST"], name = "user""#;
    let item = "async fn handle(s: State<Db>, p: Path<u64>, b: Json<User>) -> Json<User> { b }";
    let out = compact(&try_expand(tokens(attr), tokens(item)).unwrap());
    for expected in [
        "::asyncworker::__private::assert_http_extractor::<State<Db>>();",
        "::asyncworker::__private::assert_http_extractor::<Path<u64>>();",
        "::asyncworker::__private::assert_http_last_arg::<Json<User>,_>();",
        "::asyncworker::__private::assert_http_return::<Json<User>>();",
        "::asyncworker::__private::assert_send_future(handle(__arg0,__arg1,__arg2));",
        "use::asyncworker::__private::ProbeOtheras_;use::asyncworker::__private::ProbeStateas_;",
        "(&::asyncworker::__private::StateProbe::<State<Db>>::NEW).required_state(__needs);",
        "(&::asyncworker::__private::StateProbe::<Json<User>>::NEW).required_state(__needs);",
        "::asyncworker::__private::http_factory(handle)",
        r#"name:"user""#,
        r#"paths:&["/users/{id}","/u/{id}"]"#,
        r#"methods:&["GET","POST"]"#,
        "factory:__asyncworker_factory",
        "required_state:__asyncworker_required_state",
        "layers:::asyncworker::__private::NO_HTTP_LAYERS",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in\n{out}");
    }
    // A route's own layers: the user's path, given to a function that types it.
    let out = compact(
        &try_expand(
            tokens(r#"http = ["/admin"], layers = auth::layers"#),
            tokens("async fn admin() {}"),
        )
        .unwrap(),
    );
    assert!(
        out.contains("layers:::asyncworker::__private::http_route_layers(auth::layers)"),
        "{out}"
    );
    // Default method, no argument: no probe and no `use` of the probe traits.
    let out =
        compact(&try_expand(tokens(r#"http = ["/"]"#), tokens("async fn index() {}")).unwrap());
    assert!(out.contains(r#"methods:&["GET"]"#), "{out}");
    assert!(!out.contains("ProbeState"), "{out}");
    assert!(!out.contains("assert_http_return"), "{out}");
    // Nothing from `std` or the prelude.
    for forbidden in ["::std", "Vec", "Option", "Some", "Box"] {
        assert!(!out.contains(forbidden), "`{forbidden}` in\n{out}");
    }
}

#[test]
fn a_blocking_handler_is_registered_through_an_adapter() {
    for (attr, item) in [
        (
            r#"amqp = ["a"]"#,
            "fn handle(m: Vec<Message<T>>) -> Result<(), E> { Ok(()) }",
        ),
        (r#"every = "1s""#, "fn tick(app: App) {}"),
        (
            r#"sse = ["/e"], url = "http://127.0.0.1:1""#,
            "fn on(e: Vec<Event>) {}",
        ),
        (r#"http = ["/x"]"#, "fn get() -> String { String::new() }"),
    ] {
        let out = try_expand(tokens(attr), tokens(item))
            .unwrap_or_else(|err| panic!("`{attr}` rejected: {err}"))
            .to_string();
        assert!(out.contains("fn __asyncworker_blocking"), "{out}");
        assert!(out.contains("run_blocking"), "{out}");
        assert!(out.contains("(__asyncworker_blocking)"), "{out}");
    }
}

#[test]
fn the_registration_goes_through_the_gate_of_its_backend_spanned_at_its_key() {
    for (attr, item, gate) in [
        (r#"/*1*/amqp = ["q"]"#, HANDLER, "backend_amqp"),
        (
            r#"name = "n", /*1*/http = ["/"]"#,
            "async fn h() {}",
            "backend_http",
        ),
        (r#"/*1*/sse = ["/e"]"#, HANDLER, "backend_sse"),
        (
            r#"bulk_size = 2, /*1*/sqs = ["q"]"#,
            "async fn h(m: Vec<SqsMessage<T>>) {}",
            "backend_sqs",
        ),
        (
            r#"/*1*/every = "1s""#,
            "async fn t() {}",
            "backend_schedule",
        ),
        (
            r#"/*1*/cron = "* * * * * *""#,
            "async fn t() {}",
            "backend_schedule",
        ),
    ] {
        let out = try_expand(tokens(attr), tokens(item)).unwrap();
        let file: syn::File = syn::parse2(out).unwrap();
        let syn::Item::Macro(call) = &file.items[1] else {
            panic!("`{attr}`: no gate");
        };
        assert_tokens_eq(
            &call.mac.path.to_token_stream(),
            &format!("::asyncworker::__private::{gate}"),
        );
        // Every token of the invocation itself (not of the registration it carries), so that
        // the "enable the feature" error of a disabled backend points at the key.
        let key = marker(attr, 1);
        let mut invocation = Vec::new();
        collect_spans(call.mac.path.to_token_stream(), &mut invocation);
        invocation.push(("!".to_owned(), call.mac.bang_token.span));
        invocation.push(("{".to_owned(), call.mac.delimiter.span().join()));
        for (token, span) in invocation {
            assert_eq!(span.start(), key, "`{token}` of the gate of `{attr}`");
        }
    }
}
