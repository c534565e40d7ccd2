//! What every backend's registration shares: the Send assertion and the `const _` block.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{FnArg, ItemFn, Type};

use crate::item;

/// The argument types of `func` (a `self` receiver is reported elsewhere and skipped here).
pub(crate) fn argument_types(func: &ItemFn) -> Vec<&Type> {
    func.sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(pat) => Some(&*pat.ty),
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// A function that only type-checks if the handler's future is `Send`; spanned at the
/// handler's name so rustc's "future cannot be sent" names the value held across `.await`.
pub(crate) fn assert_send(func: &ItemFn) -> TokenStream {
    let span = func.sig.ident.span();
    let ident = item::target(func);
    let names: Vec<_> = (0..argument_types(func).len())
        .map(|i| format_ident!("__arg{}", i, span = span))
        .collect();
    let typed = names
        .iter()
        .zip(argument_types(func))
        .map(|(name, ty)| quote!(#name: #ty));
    quote_spanned! {span=>
        fn __asyncworker_assert_send(#(#typed),*) {
            ::asyncworker::__private::assert_send_future(#ident(#(#names),*));
        }
    }
}

/// The hidden `const _: () = { ... };` block holding a registration, allowed everything the
/// user's own lints might object to in generated code.
pub(crate) fn registration(body: TokenStream) -> TokenStream {
    quote! {
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
            #body
        };
    }
}
