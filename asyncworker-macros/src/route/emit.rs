//! What every backend's registration shares: the signature and Send assertions and the
//! `const _` block.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

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

/// A function of per-part assertions, each spanned at the user's type so that a wrong type is
/// reported where it was written: `extractor` (a `__private` function name) for each argument
/// but the last, `last(type)` for the last one (`None`: the last is an extractor too), and
/// `ret` for the return type.
pub(crate) fn signature_checks(
    func: &ItemFn,
    extractor: &str,
    last: Option<&dyn Fn(&Type) -> TokenStream>,
    ret: &str,
) -> TokenStream {
    let types = argument_types(func);
    let (extractors, last_type) = match (last, types.split_last()) {
        (Some(_), Some((l, head))) => (head, Some(*l)),
        _ => (&types[..], None),
    };
    let assert = |name: &str, ty: &Type| {
        let f = format_ident!("{}", name, span = ty.span());
        quote_spanned! {ty.span()=> ::asyncworker::__private::#f::<#ty>(); }
    };
    let mut checks: Vec<TokenStream> = extractors
        .iter()
        .filter(|ty| item::nameable(ty))
        .map(|ty| assert(extractor, ty))
        .collect();
    if let (Some(last), Some(ty)) = (last, last_type)
        && item::nameable(ty)
    {
        checks.push(last(ty));
    }
    if let ReturnType::Type(_, ty) = &func.sig.output
        && item::nameable(ty)
    {
        checks.push(assert(ret, ty));
    }
    quote! {
        fn __asyncworker_check_signature() {
            #(#checks)*
        }
    }
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
