use super::*;
use crate::test_support::{At, assert_errors, assert_tokens_eq, marker, tokens};
use quote::ToTokens;

const HOOK: &str = "async fn connect(app: &App) -> anyhow::Result<()> { Ok(()) }";

fn check_with(kind: HookKind, attr: &str, item: &str, expected: &[(At, &str)]) {
    match try_expand(kind, tokens(attr), tokens(item)) {
        Ok(out) => panic!("expected errors for `{attr}` on `{item}`, got:\n{out}"),
        Err(err) => assert_errors(&err, attr, item, expected),
    }
}

fn check1(attr: &str, item: &str, message: &str) {
    check_with(HookKind::Startup, attr, item, &[(At::Marker(1), message)]);
}

#[test]
fn expansion_of_a_startup_hook() {
    let out = try_expand(HookKind::Startup, tokens("order = -5"), tokens(HOOK)).unwrap();
    let expected = format!(
        "{HOOK}\n{}",
        r#"
        #[doc(hidden)]
        #[allow(dead_code, non_snake_case, unused_qualifications, clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            fn __asyncworker_hook<'a>(
                __asyncworker_app: &'a ::asyncworker::__private::App
            ) -> ::asyncworker::__private::BoxFuture<'a, ::asyncworker::__private::HookResult> {
                ::asyncworker::__private::box_hook::<anyhow::Result<()>, _>(connect(__asyncworker_app))
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
        "#
    );
    assert_tokens_eq(&out, &expected);
}

#[test]
fn shutdown_hook_defaults_to_order_zero() {
    let out = try_expand(HookKind::Shutdown, tokens(""), tokens(HOOK))
        .unwrap()
        .to_string();
    assert!(out.contains("HookKind :: Shutdown"), "{out}");
    assert!(out.contains("order : 0i32"), "{out}");
    let out = try_expand(HookKind::Shutdown, tokens("order = 3,"), tokens(HOOK))
        .unwrap()
        .to_string();
    assert!(out.contains("order : 3i32"), "{out}");
}

#[test]
fn argument_errors() {
    check1(
        "/*1*/priority = 1",
        HOOK,
        "unknown argument `priority`\nvalid arguments: order",
    );
    check1(
        "/*1*/ordre = 1",
        HOOK,
        "unknown argument `ordre`; did you mean `order`?\nvalid arguments: order",
    );
    check1(
        "order = 1, /*1*/\"x\"",
        HOOK,
        "expected an argument name\nvalid arguments: order",
    );
    check1(
        "order = 1, /*1*/order = 2",
        HOOK,
        "duplicate `order` argument",
    );
    check1("order = /*1*/\"1\"", HOOK, "expected integer literal");
    check1(
        "order = /*1*/3000000000",
        HOOK,
        "`order` must fit in an i32",
    );
    check1(
        "order = /*1*/-3000000000",
        HOOK,
        "`order` must fit in an i32",
    );
    check1("order /*1*/1", HOOK, "expected `=`");
}

#[test]
fn arity() {
    let message = "a hook takes exactly one argument: `app: &App`";
    check1("", "async fn connect/*1*/() {}", message);
    check1("", "async fn connect(/*1*/a: &App, b: u8) {}", message);
    check1("", "async fn connect(/*1*/a: App, b: App) {}", message);
}

#[test]
fn the_app_is_taken_by_reference() {
    let message = "a hook takes the app by reference: `app: &App`";
    check1("", "async fn connect(app: /*1*/App) {}", message);
    check1("", "async fn connect(_: /*1*/asyncworker::App) {}", message);
    check1("", "async fn connect(app: /*1*/Box<App>) {}", message);
    for ok in [
        "async fn connect(app: &App) {}",
        "async fn connect(_: &'static App) {}",
        "async fn connect(app: &asyncworker::App) {}",
        "async fn connect(app: &mut App) {}",
    ] {
        try_expand(HookKind::Startup, tokens(""), tokens(ok))
            .unwrap_or_else(|err| panic!("`{ok}` rejected: {err}"));
    }
}

#[test]
fn item_checks_and_argument_errors_together() {
    check_with(
        HookKind::Shutdown,
        "/*1*/x = 1",
        "/*2*/fn close/*3*/<T>(/*4*/&self) {}",
        &[
            (
                At::Marker(1),
                "unknown argument `x`\nvalid arguments: order",
            ),
            (At::Marker(2), "asyncworker hooks must be `async fn`"),
            (At::Marker(3), "hooks cannot be generic"),
            (
                At::Marker(4),
                "hooks are free functions: a `self` receiver is not supported (move it out of the impl block)",
            ),
        ],
    );
    check1(
        "",
        "/*1*/struct S;",
        "`#[on_startup]` can only be applied to an `async fn`",
    );
}

#[test]
fn on_error_the_function_is_kept() {
    let out = expand(HookKind::Startup, tokens("order = x"), tokens(HOOK));
    let file: syn::File = syn::parse2(out).unwrap();
    assert_eq!(file.items.len(), 2);
    assert!(matches!(&file.items[0], syn::Item::Fn(f) if f.sig.ident == "connect"));
}

#[test]
fn the_call_is_spanned_at_the_user_signature() {
    let item = "async fn /*1*/connect(app: /*2*/&App) -> /*3*/Result<(), E> { Ok(()) }";
    let file: syn::File =
        syn::parse2(try_expand(HookKind::Startup, tokens(""), tokens(item)).unwrap()).unwrap();
    let syn::Item::Const(block) = &file.items[1] else {
        panic!("no const _ block");
    };
    let syn::Expr::Block(body) = &*block.expr else {
        panic!("const _ is not a block");
    };
    let syn::Stmt::Item(syn::Item::Fn(hook)) = &body.block.stmts[0] else {
        panic!("no hook fn");
    };
    let syn::Stmt::Expr(syn::Expr::Call(boxed), _) = &hook.block.stmts[0] else {
        panic!("no box_hook call");
    };
    let syn::Expr::Call(call) = &boxed.args[0] else {
        panic!("no user call");
    };
    let pos = |n| marker(item, n);
    assert_eq!(call.func.span().start(), pos(1), "the call at the name");
    assert_eq!(
        call.args[0].span().start(),
        pos(2),
        "the argument at its type"
    );
    assert_eq!(
        boxed.func.span().start(),
        pos(3),
        "box_hook at the return type"
    );
    let syn::Expr::Path(path) = &*boxed.func else {
        panic!("box_hook is not a path");
    };
    let turbofish = &path.path.segments.last().unwrap().arguments;
    assert_tokens_eq(&turbofish.to_token_stream(), "::<Result<(), E>, _>");
}

#[test]
fn without_a_return_type_box_hook_is_at_the_name_and_infers_the_output() {
    let item = "async fn /*1*/connect(app: &App) {}";
    let out = try_expand(HookKind::Startup, tokens(""), tokens(item)).unwrap();
    let file: syn::File = syn::parse2(out).unwrap();
    let syn::Item::Const(block) = &file.items[1] else {
        panic!("no const _ block");
    };
    let syn::Expr::Block(body) = &*block.expr else {
        panic!("const _ is not a block");
    };
    let syn::Stmt::Item(syn::Item::Fn(hook)) = &body.block.stmts[0] else {
        panic!("no hook fn");
    };
    assert_tokens_eq(
        &hook.block.stmts[0].to_token_stream(),
        "::asyncworker::__private::box_hook(connect(__asyncworker_app))",
    );
    let syn::Stmt::Expr(syn::Expr::Call(boxed), _) = &hook.block.stmts[0] else {
        panic!("no box_hook call");
    };
    assert_eq!(boxed.func.span().start(), marker(item, 1));
    // An `impl Trait` output cannot be named, so it is inferred too.
    let item = "async fn connect(app: &App) -> impl Sized {}";
    let out = try_expand(HookKind::Startup, tokens(""), tokens(item))
        .unwrap()
        .to_string();
    assert!(out.contains("box_hook (connect"), "{out}");
}
