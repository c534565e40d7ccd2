//! The registration every macro emits, once: an `inventory::submit!` of a `*Def` record naming
//! the function and where it is written, inside a hidden `const _` block.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{ItemFn, LitStr};

use crate::paths::{FILE, LINE, MODULE_PATH, SUBMIT};

/// Registers `func` under `name`: `items` (the helper functions the record points to), then
/// `def { name, module_path, file, line, fields }`, where `fields` are the record's own
/// (`field: value,` each). Used by the four route kinds and by the hooks.
pub(crate) fn record(
    def: crate::paths::Path,
    func: &ItemFn,
    name: &str,
    items: TokenStream,
    fields: TokenStream,
) -> TokenStream {
    // `line!()` resolves at its own span: the function's name, not the attribute.
    let span = func.sig.ident.span();
    let line = LINE.at(span);
    let line = quote_spanned!(span=> #line!());
    let name = LitStr::new(name, Span::call_site());
    registration(quote! {
        #items
        #SUBMIT! {
            #def {
                name: #name,
                module_path: #MODULE_PATH!(),
                file: #FILE!(),
                line: #line,
                #fields
            }
        }
    })
}

/// The hidden `const _: () = { ... };` block holding a registration, allowed everything the
/// user's own lints might object to in generated code.
fn registration(body: TokenStream) -> TokenStream {
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
