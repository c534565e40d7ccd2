//! Checks on the annotated function itself, and what is emitted when it is refused.

use super::*;
use crate::test_support::At;

#[test]
fn item_checks() {
    let attr = r#"amqp = ["a"]"#;
    let cases = [
        (
            "fn handle(m: /*1*/impl Into<u8>) {}",
            "a blocking (non-async) handler cannot use `impl Trait` or `_` in its signature: name the type, or make it an `async fn`",
        ),
        (
            "fn handle(m: M) -> /*1*/impl Send {}",
            "a blocking (non-async) handler cannot use `impl Trait` or `_` in its signature: name the type, or make it an `async fn`",
        ),
        (
            "async fn handle(/*1*/self: Box<Self>) {}",
            "handlers are free functions: a `self` receiver is not supported (move it out of the impl block)",
        ),
        (
            "async fn handle(/*1*/&mut self) {}",
            "handlers are free functions: a `self` receiver is not supported (move it out of the impl block)",
        ),
        (
            "async fn handle/*1*/<'a>(m: &'a str) {}",
            "handlers cannot be generic",
        ),
        (
            "async fn handle/*1*/<const N: usize>(m: M) {}",
            "handlers cannot be generic",
        ),
        (
            "async fn handle(m: M) /*1*/where u8: Copy {}",
            "handlers cannot be generic",
        ),
        (
            "/*1*/const async fn handle(m: M) {}",
            "asyncworker handlers cannot be `const fn`",
        ),
        (
            "async /*1*/unsafe fn handle(m: M) {}",
            "asyncworker handlers cannot be `unsafe fn`",
        ),
        (
            "async /*1*/extern \"C\" fn handle(m: M) {}",
            "asyncworker handlers cannot be `extern` functions",
        ),
        (
            "async fn handle(a: u8, /*1*/...) {}",
            "asyncworker handlers cannot be variadic",
        ),
        (
            "/*1*/struct Handle;",
            "`#[route]` can only be applied to an `async fn` or a plain `fn`",
        ),
    ];
    for (item, message) in cases {
        check_with(attr, item, &[(At::Marker(1), message)]);
    }
}

#[test]
fn on_error_the_function_is_kept_beside_the_errors() {
    let out = expand(tokens("amqp = [], bulk_size = 0"), tokens(HANDLER));
    let file: syn::File = syn::parse2(out).unwrap();
    assert_eq!(file.items.len(), 3, "the fn and two compile_error!s");
    assert!(matches!(&file.items[0], syn::Item::Fn(f) if f.sig.ident == "handle"));
    for item in &file.items[1..] {
        assert!(matches!(item, syn::Item::Macro(m)
            if m.mac.path.segments.last().unwrap().ident == "compile_error"));
    }
}

#[test]
fn a_handler_without_arguments_is_an_error_at_the_parentheses() {
    let message =
        "an AMQP handler takes the messages as its last argument: `messages: Vec<Message<T>>`";
    check_with(
        r#"amqp = ["a"]"#,
        "async fn handle/*1*/() {}",
        &[(At::Marker(1), message)],
    );
    check_with(
        r#"amqp = ["a"], bulk_size = /*1*/0"#,
        "fn handle/*3*/() -> u8 { 0 }",
        &[
            (At::Marker(1), "`bulk_size` must be at least 1"),
            (At::Marker(3), message),
        ],
    );
    // Not repeated for a receiver, and not said of routes that are not AMQP.
    check_with(
        r#"amqp = ["a"]"#,
        "async fn handle(/*1*/&self) {}",
        &[(
            At::Marker(1),
            "handlers are free functions: a `self` receiver is not supported (move it out of the impl block)",
        )],
    );
    // An HTTP handler may take no argument at all.
    try_expand(tokens(r#"http = ["/"]"#), tokens("async fn handle() {}"))
        .unwrap_or_else(|err| panic!("an HTTP handler without arguments was refused: {err}"));
}

#[test]
fn a_doc_comment_keeps_its_paragraph_breaks() {
    let func: syn::ItemFn = syn::parse_str(
        "/// Takes orders.\n///\n/// In bulk,\n/// always.\nasync fn handle(m: M) {}",
    )
    .unwrap();
    assert_eq!(
        crate::item::doc_comment(&func),
        "Takes orders.\n\nIn bulk,\nalways."
    );
}
