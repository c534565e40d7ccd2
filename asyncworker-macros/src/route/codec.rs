//! Which codec decodes a consumer route's bodies: the `codec = path` key, or else the body
//! type as written (`Bytes` and `Vec<u8>` raw, `String` text, anything else JSON).

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{GenericArgument, ItemFn, PathArguments, Type};

use super::emit::argument_types;
use crate::item::{last_segment, type_arguments};
use crate::paths::{
    ASSERT_CODEC, CODEC_JSON, CODEC_RAW, CODEC_TEXT, SCHEMA_PROBE, SCHEMA_PROBES, TYPE_SCHEMA,
    UNNAMED_TYPE,
};

/// The codec of a route whose items are `wrapper<T>` (`Message`, `SqsMessage`, `Event`), the
/// check that it decodes `T`, spanned at the user's `codec` path, or else at `T`, and
/// `__asyncworker_message`, the schema of `T` for the AsyncAPI document.
pub(crate) struct Picked {
    pub(crate) codec: TokenStream,
    pub(crate) check: TokenStream,
}

/// `user` when the route names a codec; else the codec `T`'s name picks.
pub(crate) fn pick(func: &ItemFn, wrapper: &str, user: Option<&syn::Path>) -> Picked {
    let body = argument_types(func)
        .last()
        .and_then(|ty| body_type(ty, wrapper));
    let codec = match (user, body) {
        (Some(path), _) => path.to_token_stream(),
        (None, Some(body)) => by_type(body).at(body.span()).to_token_stream(),
        (None, None) => CODEC_JSON.to_token_stream(),
    };
    let body = body.filter(|b| crate::item::nameable(b));
    let check = match body {
        Some(body) => {
            let span = user.map_or_else(|| body.span(), Spanned::span);
            let assert = ASSERT_CODEC.at(span);
            quote_spanned! {span=>
                fn __asyncworker_check_codec() {
                    #assert::<#codec, #body>();
                }
            }
        }
        None => TokenStream::new(),
    };
    let message = message_fn(body);
    Picked {
        codec,
        check: quote!(#check #message),
    }
}

/// `__asyncworker_message`, the schema of the body type `T`: its own when it derives
/// `JsonSchema` (the probe decides), free-form when it has none or cannot be named here.
fn message_fn(body: Option<&Type>) -> TokenStream {
    let schema = match body {
        Some(body) => quote! {
            #[allow(unused_imports)]
            use #SCHEMA_PROBES::*;
            (&&#SCHEMA_PROBE::<#body>::NEW).type_schema()
        },
        None => quote!(#UNNAMED_TYPE()),
    };
    quote! {
        fn __asyncworker_message() -> #TYPE_SCHEMA {
            #schema
        }
    }
}

/// The default codec of body type `ty`.
fn by_type(ty: &Type) -> crate::paths::Path {
    let Some(last) = last_segment(ty) else {
        return CODEC_JSON;
    };
    match (last.ident.to_string().as_str(), &last.arguments) {
        ("Bytes", PathArguments::None) => CODEC_RAW,
        ("String", PathArguments::None) => CODEC_TEXT,
        ("Vec", PathArguments::AngleBracketed(args)) if is_vec_of_u8(args) => CODEC_RAW,
        _ => CODEC_JSON,
    }
}

fn is_vec_of_u8(args: &syn::AngleBracketedGenericArguments) -> bool {
    matches!(
        args.args.iter().collect::<Vec<_>>().as_slice(),
        [GenericArgument::Type(t)] if last_segment(t).is_some_and(|s| s.ident == "u8" && s.arguments.is_none())
    )
}

/// `T` of a last argument `Vec<wrapper<T>>` or `wrapper<T>`.
fn body_type<'a>(ty: &'a Type, wrapper: &str) -> Option<&'a Type> {
    let segment = last_segment(ty)?;
    let only = |segment: &'a syn::PathSegment| match type_arguments(segment)[..] {
        [t] => Some(t),
        _ => None,
    };
    if segment.ident == wrapper {
        return only(segment);
    }
    if segment.ident == "Vec" {
        let inner = only(segment)?;
        let inner_segment = last_segment(inner)?;
        if inner_segment.ident == wrapper {
            return only(inner_segment);
        }
    }
    None
}
