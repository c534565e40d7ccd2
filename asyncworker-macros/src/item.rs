//! Checks on the annotated function shared by `#[route]` and the hooks.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{FnArg, ItemFn, Type};

use crate::errors::Errors;

/// What the function is registered as; only changes the wording of the messages.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Handler,
    Hook,
}

impl Kind {
    fn plural(self) -> &'static str {
        match self {
            Kind::Handler => "handlers",
            Kind::Hook => "hooks",
        }
    }
}

/// Parses the annotated item; anything but a function is reported at its first token.
pub(crate) fn parse(item: TokenStream, attribute: &str) -> syn::Result<ItemFn> {
    syn::parse2(item).map_err(|err| {
        syn::Error::new(
            err.span(),
            format!("`#[{attribute}]` can only be applied to an `async fn`"),
        )
    })
}

/// Everything the runtime cannot call through a plain `fn` pointer or a handler trait bound.
pub(crate) fn check(func: &ItemFn, kind: Kind, errors: &mut Errors) {
    let sig = &func.sig;
    let what = kind.plural();
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new(
            constness.span,
            format!("asyncworker {what} cannot be `const fn`"),
        ));
    }
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            format!("asyncworker {what} must be `async fn`"),
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new(
            unsafety.span,
            format!("asyncworker {what} cannot be `unsafe fn`"),
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            format!("asyncworker {what} cannot be `extern` functions"),
        ));
    }
    let generic_message = format!("{what} cannot be generic");
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(&sig.generics, generic_message));
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.push(syn::Error::new_spanned(where_clause, generic_message));
    }
    for input in &sig.inputs {
        if let FnArg::Receiver(receiver) = input {
            errors.push(syn::Error::new_spanned(
                receiver,
                format!(
                    "{what} are free functions: a `self` receiver is not supported \
                     (move it out of the impl block)"
                ),
            ));
        }
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            format!("asyncworker {what} cannot be variadic"),
        ));
    }
}

/// Whether the generated code can name `ty` in a turbofish: not when it holds an `impl Trait`
/// (or a `_`, which the compiler rejects in the signature already).
pub(crate) fn nameable(ty: &Type) -> bool {
    fn walk(tokens: TokenStream) -> bool {
        tokens.into_iter().all(|tt| match tt {
            TokenTree::Ident(ident) => ident != "impl" && ident != "_",
            TokenTree::Group(group) => walk(group.stream()),
            TokenTree::Punct(_) | TokenTree::Literal(_) => true,
        })
    }
    walk(ty.to_token_stream())
}
