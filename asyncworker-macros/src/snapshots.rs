//! Checked-in expansion snapshots: each `tests/expand/<name>.rs` (attributes on functions, as a
//! user writes them) is expanded by this crate and rendered with prettyplease, and the result
//! must equal `tests/expand/<name>.expanded.rs`. `ASYNCWORKER_BLESS=1` rewrites the snapshots.
//!
//! A unit test rather than an integration test: a proc-macro crate cannot export its expansion
//! functions to `tests/`.

mod diff;
mod render;

use std::path::{Path, PathBuf};

use proc_macro2::{Spacing, TokenStream, TokenTree};
use quote::ToTokens;

use self::diff::diff;
use self::render::render;
use crate::hooks::{self, HookKind};
use crate::route;

/// The inputs; each must exist, so a missing file fails rather than shrinks the test.
const INPUTS: &[&str] = &["amqp", "http", "sse", "sqs", "schedule", "hook"];

/// Set to rewrite the snapshots from the current expansion.
const BLESS: &str = "ASYNCWORKER_BLESS";

const HEADER: &str = "// Expansion of the sibling `.rs` file by asyncworker-macros, rendered with prettyplease.\n\
    // Regenerate with `ASYNCWORKER_BLESS=1 cargo test -p asyncworker-macros snapshots`.\n\n";

#[test]
fn expansions_match_their_snapshots() {
    let bless = std::env::var_os(BLESS).is_some_and(|v| !v.is_empty() && v != "0");
    let mut failures = Vec::new();
    for name in INPUTS {
        let snapshot = dir().join(format!("{name}.expanded.rs"));
        let rendered: Vec<String> = expand_input(name).into_iter().map(render).collect();
        // Each input item apart, so a blank line separates them.
        let got = format!("{HEADER}{}", rendered.join("\n"));
        if bless {
            std::fs::write(&snapshot, &got)
                .unwrap_or_else(|err| panic!("cannot write {}: {err}", snapshot.display()));
            continue;
        }
        let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "tests/expand/{name}.expanded.rs differs from the expansion (- snapshot, + now):\n{}",
                diff(&expected, &got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nIf the new expansion is intended, rewrite the snapshots with \
         `{BLESS}=1 cargo test -p asyncworker-macros snapshots` and review the diff.",
        failures.join("\n")
    );
}

/// Generated code must not depend on `std`, on the prelude or on any crate the user may not
/// have (or may have shadowed): every absolute path starts `::core` or
/// `::asyncworker::__private`.
#[test]
fn expansions_name_only_core_and_the_private_module() {
    for name in INPUTS {
        let tokens: TokenStream = expand_input(name)
            .iter()
            .flatten()
            .map(ToTokens::to_token_stream)
            .collect();
        let roots = absolute_roots(tokens);
        assert!(roots.iter().any(|root| root == "asyncworker::__private"));
        for root in roots {
            assert!(
                root == "core" || root == "asyncworker::__private",
                "`::{root}` in the expansion of tests/expand/{name}.rs"
            );
        }
    }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand")
}

/// The items of `tests/expand/<name>.rs`, one group per input item: the items a function with
/// one of our attributes expands to, or the item itself.
fn expand_input(name: &str) -> Vec<Vec<syn::Item>> {
    let path = dir().join(format!("{name}.rs"));
    let src = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    let file: syn::File =
        syn::parse_str(&src).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    file.items
        .into_iter()
        .map(|item| match &item {
            syn::Item::Fn(func) => expand_fn(func.clone()).map_or(vec![item], |tokens| {
                syn::parse2::<syn::File>(tokens)
                    .expect("an expansion is a list of items")
                    .items
            }),
            _ => vec![item],
        })
        .collect()
}

/// The first segment of every absolute path (`::x::...`) in `tokens`, with the second for
/// `asyncworker`, since only its `__private` module is meant for generated code.
fn absolute_roots(tokens: TokenStream) -> Vec<String> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut roots = Vec::new();
    for (i, tree) in trees.iter().enumerate() {
        if let TokenTree::Group(group) = tree {
            roots.extend(absolute_roots(group.stream()));
        }
        let is_colon =
            |k: usize| matches!(trees.get(k), Some(TokenTree::Punct(p)) if p.as_char() == ':');
        // `::` after a name (`a::b`), a closing generic (`<T>::NEW`) or a colon continues a path.
        let continues = i > 0
            && match &trees[i - 1] {
                TokenTree::Ident(_) => true,
                TokenTree::Punct(p) => p.as_char() == '>' || p.spacing() == Spacing::Joint,
                _ => false,
            };
        if !(is_colon(i) && is_colon(i + 1)) || continues {
            continue;
        }
        let segment = |k: usize| trees.get(k).map(ToString::to_string).unwrap_or_default();
        roots.push(match segment(i + 2).as_str() {
            "asyncworker" => format!("asyncworker::{}", segment(i + 5)),
            root => root.to_owned(),
        });
    }
    roots
}

/// The expansion of `func` by its first attribute of ours, if it has one.
fn expand_fn(mut func: syn::ItemFn) -> Option<TokenStream> {
    let position = func.attrs.iter().position(|attr| {
        ["route", "on_startup", "on_shutdown"]
            .iter()
            .any(|name| attr.path().is_ident(name))
    })?;
    let attr = func.attrs.remove(position);
    let name = attr.path().get_ident()?.to_string();
    let args = match attr.meta {
        syn::Meta::List(list) => list.tokens,
        _ => TokenStream::new(),
    };
    let item = func.into_token_stream();
    let expanded = match name.as_str() {
        "route" => route::try_expand(args, item),
        "on_startup" => hooks::try_expand(HookKind::Startup, args, item),
        _ => hooks::try_expand(HookKind::Shutdown, args, item),
    };
    Some(expanded.unwrap_or_else(|err| panic!("rejected: {err}")))
}
