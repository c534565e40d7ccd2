//! `publishes = ["exchange:routing.key", Invoice => "billing:invoice.created"]`: what a route
//! (of any backend) publishes with `app.amqp()`, for the AsyncAPI document. The target is
//! written as `bind` writes it, exchange then routing key; an empty exchange (`":invoices"`) is
//! the default exchange, which routes to the queue named by the key. The type before `=>` is
//! the body's; without it the message is free-form. Not enforced at run time.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{LitStr, Token, Type, bracketed, token};

use super::topology::exchange_and_key;
use crate::errors::Errors;
use crate::parse::skip_while;
use crate::paths::{NONE, PUBLISH, SCHEMA_PROBE, SCHEMA_PROBES, SOME, TYPE_SCHEMA};

const SYNTAX: &str = "`publishes` takes a list of `\"exchange:routing.key\"` or \
                      `Type => \"exchange:routing.key\"`";

/// The list as written.
pub(crate) struct PublishList {
    pub(crate) bracket: token::Bracket,
    pub(crate) items: Punctuated<PublishItem, Token![,]>,
}

/// `"exchange:key"` or `Type => "exchange:key"`.
pub(crate) struct PublishItem {
    pub(crate) ty: Option<Type>,
    pub(crate) target: LitStr,
}

impl Parse for PublishList {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(token::Bracket) {
            return Err(input.error(SYNTAX));
        }
        let content;
        let bracket = bracketed!(content in input);
        match content.parse_terminated(PublishItem::parse, Token![,]) {
            Ok(items) => Ok(PublishList { bracket, items }),
            Err(err) => {
                // As `StrList`: consume the rest, or syn replaces the error with a bare
                // "unexpected token".
                skip_while(&content, |_| true)?;
                Err(err)
            }
        }
    }
}

impl Parse for PublishItem {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(PublishItem {
                ty: None,
                target: input.parse()?,
            });
        }
        let ty: Type = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), SYNTAX))?;
        input
            .parse::<Token![=>]>()
            .map_err(|e| syn::Error::new(e.span(), SYNTAX))?;
        let target = input.parse().map_err(|e: syn::Error| {
            syn::Error::new(e.span(), "expected `\"exchange:routing.key\"` after `=>`")
        })?;
        Ok(PublishItem {
            ty: Some(ty),
            target,
        })
    }
}

/// One validated entry.
pub(crate) struct Publish {
    ty: Option<Type>,
    exchange: String,
    routing_key: String,
}

/// Checks every entry, pushing every problem into `errors`.
pub(crate) fn validate(list: Option<&PublishList>, errors: &mut Errors) -> Vec<Publish> {
    let Some(list) = list else {
        return Vec::new();
    };
    if list.items.is_empty() {
        errors.push(syn::Error::new(
            list.bracket.span.join(),
            "`publishes` needs at least one `\"exchange:routing.key\"`",
        ));
    }
    let mut out: Vec<Publish> = Vec::new();
    for item in &list.items {
        let Some((exchange, routing_key)) = errors.ok(target(&item.target)) else {
            continue;
        };
        if out
            .iter()
            .any(|p| p.exchange == exchange && p.routing_key == routing_key)
        {
            errors.push(syn::Error::new(
                item.target.span(),
                format!("`{}` is listed twice", item.target.value()),
            ));
            continue;
        }
        out.push(Publish {
            ty: item.ty.clone(),
            exchange,
            routing_key,
        });
    }
    out
}

/// `"exchange:key"` split, as `publish(exchange, routing_key, ..)` takes them.
fn target(lit: &LitStr) -> syn::Result<(String, String)> {
    let (exchange, key) = exchange_and_key(lit, "`\":queue\"` for the default exchange")?;
    if exchange.is_empty() && key.is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "the default exchange (`\":...\"`) needs the queue as the routing key",
        ));
    }
    Ok((exchange, key))
}

/// The `&[Publish { .. }, ..]` literal of the record; a typed entry's schema is found by the
/// probe, so a type without `JsonSchema` is free-form, never an error.
pub(crate) fn entries(list: &[Publish]) -> TokenStream {
    let entries = list.iter().map(|p| {
        let (exchange, key) = (&p.exchange, &p.routing_key);
        let message = match &p.ty {
            Some(ty) => quote! {
                #SOME({
                    fn __asyncworker_published() -> #TYPE_SCHEMA {
                        #[allow(unused_imports)]
                        use #SCHEMA_PROBES::*;
                        (&&#SCHEMA_PROBE::<#ty>::NEW).type_schema()
                    }
                    __asyncworker_published as fn() -> #TYPE_SCHEMA
                })
            },
            None => quote!(#NONE),
        };
        quote! {
            #PUBLISH {
                exchange: #exchange,
                routing_key: #key,
                message: #message,
            }
        }
    });
    quote!(&[#(#entries),*])
}
