//! `#[on_startup]` / `#[on_shutdown]`: an `async fn(app: &App)` registered with an order.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, LitInt, ReturnType, Type};

use crate::errors::Errors;
use crate::item::{self, Kind};
use crate::parse::{Arg, field, parse_list, unknown_argument};
use crate::paths::{APP, BOX_FUTURE, BOX_HOOK, HOOK_DEF, HOOK_KIND, HOOK_RESULT};

mod kw {
    syn::custom_keyword!(order);
}

/// When the hook runs; mirrors the runtime's `__private::HookKind`, whose variant is emitted
/// by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HookKind {
    Startup,
    Shutdown,
}

impl HookKind {
    fn attribute(self) -> &'static str {
        match self {
            HookKind::Startup => "on_startup",
            HookKind::Shutdown => "on_shutdown",
        }
    }
}

#[derive(Default)]
struct HookArgs {
    order: Option<Arg<kw::order, LitInt>>,
    errors: Vec<syn::Error>,
}

impl Parse for HookArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = HookArgs::default();
        let errors = parse_list(input, |input| {
            if input.peek(kw::order) {
                field(&mut args.order, "order", input, &mut args.errors)
            } else {
                Err(unknown_argument(input, &["order"]))
            }
        })?;
        args.errors.extend(errors);
        Ok(args)
    }
}

/// Entry point of both hook attributes; like `route::expand`, keeps the function on error.
pub(crate) fn expand(kind: HookKind, attr: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(kind, attr, item.clone()) {
        Ok(tokens) => tokens,
        Err(err) => {
            let mut tokens = item;
            tokens.extend(err.to_compile_error());
            tokens
        }
    }
}

/// The expansion, or every error found (combined).
pub(crate) fn try_expand(
    kind: HookKind,
    attr: TokenStream,
    item: TokenStream,
) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let order = errors
        .ok(syn::parse2::<HookArgs>(attr))
        .and_then(|args| validate(args, &mut errors));
    let func = errors.ok(item::parse(item.clone(), kind.attribute()));
    if let Some(func) = &func {
        item::check(func, Kind::Hook, &mut errors);
        check_arity(func, &mut errors);
    }
    errors.finish()?;
    let (Some(func), Some(order)) = (func, order) else {
        return Err(syn::Error::new(
            Span::call_site(),
            "asyncworker-macros: internal error: no hook despite no error",
        ));
    };
    let registration = emit(kind, order, &func);
    let mut tokens = item;
    tokens.extend(registration);
    Ok(tokens)
}

fn validate(mut args: HookArgs, errors: &mut Errors) -> Option<i32> {
    errors.extend(std::mem::take(&mut args.errors));
    let Some(order) = &args.order else {
        return Some(0);
    };
    let lit = &order.value;
    errors.ok(lit
        .base10_parse::<i32>()
        .map_err(|_| syn::Error::new(lit.span(), "`order` must fit in an i32")))
}

fn check_arity(func: &ItemFn, errors: &mut Errors) {
    let inputs = &func.sig.inputs;
    let message = "a hook takes exactly one argument: `app: &App`";
    match inputs.len() {
        1 => {}
        0 => errors.push(syn::Error::new(func.sig.paren_token.span.join(), message)),
        _ => errors.push(syn::Error::new_spanned(inputs, message)),
    }
    // The type itself (`&App`, `&'a App`, `&asyncworker::App`, an alias) is left to the
    // compiler; by value, its "expected `App`, found `&App`" would suggest `App.clone()`.
    if inputs.len() == 1
        && let Some(FnArg::Typed(pat)) = inputs.first()
        && !matches!(&*pat.ty, Type::Reference(_))
    {
        errors.push(syn::Error::new_spanned(
            &pat.ty,
            "a hook takes the app by reference: `app: &App`",
        ));
    }
}

/// The registration of `func` as a hook: a boxing adapter and its `HookDef`.
fn emit(kind: HookKind, order: i32, func: &ItemFn) -> TokenStream {
    let ident = &func.sig.ident;
    let span = ident.span();
    // A wrong argument type is reported at the user's parameter type, a wrong return type at
    // the user's return type; both come from this call's spans.
    let arg_span = match func.sig.inputs.first() {
        Some(FnArg::Typed(pat)) => pat.ty.span(),
        _ => span,
    };
    let app = quote_spanned!(arg_span=> __asyncworker_app);
    let call = quote_spanned!(span=> #ident(#app));
    // Naming the output type makes the `IntoHookResult` bound fail at that type argument, i.e.
    // at the user's return type; unnamed, the error would land on the function name.
    let boxed = match &func.sig.output {
        ReturnType::Type(_, ty) if item::nameable(ty) => {
            let box_hook = BOX_HOOK.at(ty.span());
            quote_spanned!(ty.span()=> #box_hook::<#ty, _>(#call))
        }
        _ => {
            let box_hook = BOX_HOOK.at(span);
            quote_spanned!(span=> #box_hook(#call))
        }
    };
    let kind = HOOK_KIND.variant(kind);
    let order = Literal::i32_suffixed(order);
    let items = quote! {
        fn __asyncworker_hook<'a>(#app: &'a #APP) -> #BOX_FUTURE<'a, #HOOK_RESULT> {
            #boxed
        }
    };
    let fields = quote! {
        kind: #kind,
        order: #order,
        run: __asyncworker_hook,
    };
    crate::emit::record(HOOK_DEF, func, &ident.unraw().to_string(), items, fields)
}

#[cfg(test)]
mod tests;
