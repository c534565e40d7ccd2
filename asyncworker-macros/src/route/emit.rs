//! What every route's registration shares: the signature and Send assertions, the factory, the
//! options literal and the backend gate around it all.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Type};

use super::args::Backend;
use crate::item;
use crate::paths::{
    ASSERT_SEND_FUTURE, BACKEND_AMQP, BACKEND_HTTP, BACKEND_SCHEDULE, BACKEND_SQS, BACKEND_SSE,
    PUBLISHES_DEF, Path, SOME,
};

/// What a backend adds to the registration of a route.
pub(crate) struct Handler {
    /// The record type: `AmqpRouteDef`, ...
    pub(crate) def: Path,
    /// The factory's type: `AmqpFactory`, ...
    pub(crate) factory_type: Path,
    /// The function building the factory from the handler: `amqp_factory`, ...
    pub(crate) factory: Path,
    /// Its generic arguments (`10u16, _, _`), if it is called with a turbofish.
    pub(crate) factory_generics: Option<TokenStream>,
    /// The route's `error_handler`, with the function taking the typed handler (`factory`
    /// then returns it) and the error handler; called at the user's path, so that a wrong
    /// one is reported there.
    pub(crate) error_handler: Option<(Path, syn::Path)>,
    /// `__asyncworker_check_signature`, from [`signature_checks`].
    pub(crate) checks: TokenStream,
    /// Other helper functions the record points to.
    pub(crate) items: TokenStream,
    /// The record's own fields (`field: value,` each); `factory` is added after them.
    pub(crate) fields: TokenStream,
}

/// What a route publishes (`publishes = [...]`), registered next to the route when set.
pub(crate) struct Published<'a> {
    /// The route's backend key, as written: `amqp`, `every`...
    pub(crate) backend: &'static str,
    pub(crate) entries: &'a [super::publishes::Publish],
}

/// The registration of `func` as a route named `name`, inside the gate of `backend` (whose
/// tokens lie at `key`, the backend's key in the attribute), with the record of what it
/// publishes.
pub(crate) fn route(
    func: &ItemFn,
    name: &str,
    backend: Backend,
    key: Span,
    handler: Handler,
    published: &Published<'_>,
) -> TokenStream {
    let Handler {
        def,
        factory_type,
        factory,
        factory_generics,
        error_handler,
        checks,
        items,
        fields,
    } = handler;
    let mut factory = factory_call(func, factory, factory_generics);
    if let Some((with, path)) = error_handler {
        let span = path.span();
        let with = with.at(span);
        factory = quote_spanned!(span=> #with(#factory, #path));
    }
    let blocking_adapter = item::blocking_adapter(func);
    let assert_send = assert_send(func);
    let items = quote! {
        #checks
        #blocking_adapter
        #assert_send
        #items
        fn __asyncworker_factory() -> #factory_type {
            #factory
        }
    };
    let doc = syn::LitStr::new(&item::doc_comment(func), Span::call_site());
    let publishes = publishes_record(func, name, &doc, published);
    let items = quote!(#items #publishes);
    let fields = quote!(doc: #doc, #fields factory: __asyncworker_factory,);
    let registration = crate::emit::record(def, func, name, items, fields);
    gated(backend, key, registration)
}

/// The `PublishesDef` of a route with `publishes`; nothing without.
fn publishes_record(
    func: &ItemFn,
    name: &str,
    doc: &syn::LitStr,
    published: &Published<'_>,
) -> TokenStream {
    if published.entries.is_empty() {
        return TokenStream::new();
    }
    let backend = published.backend;
    let entries = super::publishes::entries(published.entries);
    let fields = quote!(backend: #backend, doc: #doc, publishes: #entries,);
    crate::emit::record(PUBLISHES_DEF, func, name, TokenStream::new(), fields)
}

/// `factory::<generics>(handler)`, every token at the handler's name: a handler that fits no
/// factory bound is reported there.
fn factory_call(func: &ItemFn, factory: Path, generics: Option<TokenStream>) -> TokenStream {
    let span = func.sig.ident.span();
    let factory = factory.at(span);
    let target = item::target(func);
    let generics = generics.map(|args| {
        let args = args.into_iter().map(|mut tt| {
            tt.set_span(span);
            tt
        });
        quote_spanned!(span=> ::<#(#args)*>)
    });
    quote_spanned!(span=> #factory #generics (#target))
}

/// `registration` passed through its backend's gate: transparent when the backend is compiled
/// in, else one "enable the feature" error. The whole invocation is spanned at `key`, so that
/// error points at the key the user wrote.
fn gated(backend: Backend, key: Span, registration: TokenStream) -> TokenStream {
    let gate = match backend {
        Backend::Amqp => BACKEND_AMQP,
        Backend::Http => BACKEND_HTTP,
        Backend::Sse => BACKEND_SSE,
        Backend::Sqs => BACKEND_SQS,
        Backend::Schedule => BACKEND_SCHEDULE,
    }
    .at(key);
    let mut body = Group::new(Delimiter::Brace, registration);
    body.set_span(key);
    quote_spanned!(key=> #gate! #body)
}

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

/// `#assertion::<#ty #more>();` (`more`: further generic arguments, each after a comma),
/// spanned at the user's type so that a missing bound is reported there.
pub(crate) fn assert_type(assertion: Path, ty: &Type, more: TokenStream) -> TokenStream {
    let span = ty.span();
    let assertion = assertion.at(span);
    quote_spanned! {span=> #assertion::<#ty #more>(); }
}

/// A function of per-part assertions, each spanned at the user's type so that a wrong type is
/// reported where it was written: `extractor` for each argument but the last, `last(type)` for
/// the last one (`None`: the last is an extractor too), and `ret` for the return type.
pub(crate) fn signature_checks(
    func: &ItemFn,
    extractor: Path,
    last: Option<&dyn Fn(&Type) -> TokenStream>,
    ret: Path,
) -> TokenStream {
    let types = argument_types(func);
    let (extractors, last_type) = match (last, types.split_last()) {
        (Some(_), Some((l, head))) => (head, Some(*l)),
        _ => (&types[..], None),
    };
    let mut checks: Vec<TokenStream> = extractors
        .iter()
        .filter(|ty| item::nameable(ty))
        .map(|ty| assert_type(extractor, ty, TokenStream::new()))
        .collect();
    if let (Some(last), Some(ty)) = (last, last_type)
        && item::nameable(ty)
    {
        checks.push(last(ty));
    }
    if let ReturnType::Type(_, ty) = &func.sig.output
        && item::nameable(ty)
    {
        checks.push(assert_type(ret, ty, TokenStream::new()));
    }
    quote! {
        fn __asyncworker_check_signature() {
            #(#checks)*
        }
    }
}

/// A function that only type-checks if the handler's future is `Send`; spanned at the
/// handler's name so rustc's "future cannot be sent" names the value held across `.await`.
fn assert_send(func: &ItemFn) -> TokenStream {
    let span = func.sig.ident.span();
    let ident = item::target(func);
    let assert = ASSERT_SEND_FUTURE.at(span);
    let names: Vec<_> = (0..argument_types(func).len())
        .map(|i| format_ident!("__arg{}", i, span = span))
        .collect();
    let typed = names
        .iter()
        .zip(argument_types(func))
        .map(|(name, ty)| quote!(#name: #ty));
    quote_spanned! {span=>
        fn __asyncworker_assert_send(#(#typed),*) {
            #assert(#ident(#(#names),*));
        }
    }
}

/// The literal of a backend's options struct: only the fields the user set, then
/// `..DEFAULT`, so that an expansion shows what was written and the runtime owns the defaults.
pub(crate) struct Options {
    fields: Vec<TokenStream>,
}

impl Options {
    pub(crate) fn new() -> Self {
        Options { fields: Vec::new() }
    }

    /// `field: value`, when set.
    pub(crate) fn set(&mut self, field: &str, value: Option<impl ToTokens>) -> &mut Self {
        if let Some(value) = value {
            let field = format_ident!("{}", field);
            self.fields.push(quote!(#field: #value));
        }
        self
    }

    /// `field: Some(value)`, when set, for an `Option` field.
    pub(crate) fn some(&mut self, field: &str, value: Option<impl ToTokens>) -> &mut Self {
        self.set(field, value.map(|value| quote!(#SOME(#value))))
    }

    /// The fields a part shared by several backends adds (its settle actions, its retry
    /// policy), at this point of the literal.
    pub(crate) fn with(&mut self, part: impl FnOnce(&mut Self)) -> &mut Self {
        part(self);
        self
    }

    /// `ty { fields.., ..ty::DEFAULT }` when any field is set, else `None` (the default stays).
    pub(crate) fn finish_if_any(&self, ty: Path) -> Option<TokenStream> {
        (!self.fields.is_empty()).then(|| self.finish(ty))
    }

    /// `ty { fields.., ..ty::DEFAULT }`.
    pub(crate) fn finish(&self, ty: Path) -> TokenStream {
        let fields = &self.fields;
        quote! {
            #ty {
                #(#fields,)*
                ..#ty::DEFAULT
            }
        }
    }
}
