//! Checks on the annotated function shared by `#[route]` and the hooks.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

use crate::errors::Errors;
use crate::paths::{FUTURE, RUN_BLOCKING, SEND};

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
    let what = if attribute == "route" {
        "an `async fn` or a plain `fn`"
    } else {
        "an `async fn`"
    };
    syn::parse2(item).map_err(|err| {
        syn::Error::new(
            err.span(),
            format!("`#[{attribute}]` can only be applied to {what}"),
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
    // A plain `fn` handler runs on tokio's blocking pool (see `blocking_adapter`); hooks are
    // awaited in order during startup and shutdown, so they stay `async fn`.
    if sig.asyncness.is_none() && matches!(kind, Kind::Hook) {
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

/// A handler whose last argument is its input (messages, events) must have one: else `message`,
/// which shows that argument, at the empty parentheses.
pub(crate) fn needs_last_argument(func: &ItemFn, message: &str, errors: &mut Errors) {
    if func.sig.inputs.is_empty() {
        errors.push(syn::Error::new(func.sig.paren_token.span.join(), message));
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

/// Whether `func` is a blocking handler: a plain `fn`, run on tokio's blocking pool.
pub(crate) fn is_blocking(func: &ItemFn) -> bool {
    func.sig.asyncness.is_none()
}

/// A blocking handler's signature is copied into its async adapter, so every type in it must be
/// nameable.
pub(crate) fn check_blocking(func: &ItemFn, errors: &mut Errors) {
    if !is_blocking(func) {
        return;
    }
    let message = "a blocking (non-async) handler cannot use `impl Trait` or `_` in its \
                   signature: name the type, or make it an `async fn`";
    for input in &func.sig.inputs {
        if let FnArg::Typed(pat) = input
            && !nameable(&pat.ty)
        {
            errors.push(syn::Error::new_spanned(&pat.ty, message));
        }
    }
    if let ReturnType::Type(_, ty) = &func.sig.output
        && !nameable(ty)
    {
        errors.push(syn::Error::new_spanned(ty, message));
    }
}

/// The function the registration calls: the handler itself, or for a blocking handler the
/// adapter emitted by [`blocking_adapter`].
pub(crate) fn target(func: &ItemFn) -> Ident {
    if is_blocking(func) {
        format_ident!("__asyncworker_blocking", span = func.sig.ident.span())
    } else {
        func.sig.ident.clone()
    }
}

/// For a blocking handler, an `async`-shaped adapter with the same argument types that runs the
/// handler on tokio's blocking pool (a panic resumes in the awaiting task); nothing otherwise.
pub(crate) fn blocking_adapter(func: &ItemFn) -> TokenStream {
    if !is_blocking(func) {
        return TokenStream::new();
    }
    let ident = &func.sig.ident;
    let span = ident.span();
    let target = target(func);
    let params: Vec<_> = func
        .sig
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| match input {
            FnArg::Typed(pat) => Some((format_ident!("__arg{}", i, span = span), &pat.ty)),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let names = params.iter().map(|(name, _)| name);
    let typed = params.iter().map(|(name, ty)| quote!(#name: #ty));
    let output = match &func.sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, ty) => quote_spanned!(ty.span()=> #ty),
    };
    let (future, send, run) = (FUTURE.at(span), SEND.at(span), RUN_BLOCKING.at(span));
    quote_spanned! {span=>
        fn #target(#(#typed),*) -> impl #future<Output = #output> + #send + 'static {
            #run(move || #ident(#(#names),*))
        }
    }
}

/// The function's doc comment: its `///` lines (and `#[doc = "..."]` attributes) joined by
/// `\n`, the single leading space rustdoc strips removed; empty without one.
pub(crate) fn doc_comment(func: &ItemFn) -> String {
    let lines: Vec<String> = func
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .flat_map(|text| {
            // `split`, not `lines`: an empty `///` line is `#[doc = ""]`, which `lines` would
            // drop, and with it the paragraph break.
            text.split('\n')
                .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    lines.join("\n").trim().to_owned()
}

/// The last segment of a type written as a path (`Order` of `crate::Order`), through
/// parentheses; `None` for any other type.
pub(crate) fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// The type arguments of `segment` (`[A, B]` of `Result<A, B>`), lifetimes and constants left
/// out.
pub(crate) fn type_arguments(segment: &syn::PathSegment) -> Vec<&Type> {
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|arg| match arg {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
