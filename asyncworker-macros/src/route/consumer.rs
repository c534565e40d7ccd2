//! The registration of a queue consumer (AMQP, SQS): its handler takes the messages last, a
//! `Vec` of the backend's message wrapper (or one wrapper when `bulk_size = 1`) whose body type
//! picks the codec; its factory is generic over the bulk size and the codec, and takes the
//! route's `error_handler` through a typed step.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ItemFn, LitStr, Type};

use super::codec;
use super::emit::{Handler, assert_type, signature_checks};
use crate::paths::{ASSERT_EXTRACTOR, ASSERT_HANDLER_RETURN, Path};

/// The runtime items one queue backend registers its routes with.
pub(crate) struct Runtime {
    /// The record type: `AmqpRouteDef`.
    pub(crate) def: Path,
    /// The factory's type: `AmqpFactory`.
    pub(crate) factory_type: Path,
    /// `amqp_factory::<BULK, C, _, _>(handler)`, for a route without `error_handler`.
    pub(crate) factory: Path,
    /// `amqp_typed::<BULK, C, _, _>(handler)`, given with the error handler to `factory_with`.
    pub(crate) typed: Path,
    pub(crate) factory_with: Path,
    /// `assert_messages::<LastArgument, BULK>()`.
    pub(crate) assert_messages: Path,
    /// The message wrapper, as the handler names it: `Message`.
    pub(crate) wrapper: &'static str,
}

/// What a validated route gives its registration.
pub(crate) struct Consumer<'a> {
    pub(crate) queues: &'a [LitStr],
    pub(crate) bulk_size: u16,
    pub(crate) codec: Option<&'a syn::Path>,
    pub(crate) error_handler: Option<&'a syn::Path>,
    /// The backend's options literal.
    pub(crate) options: TokenStream,
}

/// What a queue consumer route adds to its registration.
pub(crate) fn handler(runtime: &Runtime, route: Consumer<'_>, func: &ItemFn) -> Handler {
    let Consumer {
        queues,
        bulk_size,
        codec,
        error_handler,
        options,
    } = route;
    let codec::Picked { codec, check } = codec::pick(func, runtime.wrapper, codec);
    let factory = match error_handler {
        Some(_) => runtime.typed,
        None => runtime.factory,
    };
    Handler {
        def: runtime.def,
        factory_type: runtime.factory_type,
        factory,
        factory_generics: Some(quote!(#bulk_size, #codec, _, _)),
        error_handler: error_handler.map(|path| (runtime.factory_with, path.clone())),
        checks: check_signature(func, runtime.assert_messages, bulk_size),
        items: check,
        fields: quote! {
            queues: &[#(#queues),*],
            options: #options,
            message: __asyncworker_message,
        },
    }
}

/// One assertion per part of the signature, each spanned at the user's type, so a wrong
/// argument or return type is reported there, with the message of the trait it misses, before
/// the catch-all "not a valid handler" of the factory's bound. The messages' assertion gets the
/// bulk size, since one message alone is only right for a bulk of one.
fn check_signature(func: &ItemFn, assert_messages: Path, bulk_size: u16) -> TokenStream {
    let messages = |ty: &Type| {
        let mut bulk_size = Literal::u16_suffixed(bulk_size);
        bulk_size.set_span(ty.span());
        assert_type(
            assert_messages,
            ty,
            quote_spanned!(ty.span()=> , #bulk_size),
        )
    };
    signature_checks(
        func,
        ASSERT_EXTRACTOR,
        Some(&messages),
        ASSERT_HANDLER_RETURN,
    )
}
