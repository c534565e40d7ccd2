//! `__asyncworker_describe` of an HTTP route: one probe per argument and one for the return
//! type, which tell the OpenAPI document the route's parameters, body and answers. The macro
//! only digs type arguments out of the tokens (`T` of `Json<T>`, `A` of `Result<A, E>`); what
//! a type is, is decided by the runtime's probes on the real types, so a type named `Json`
//! that is not ours says nothing rather than something false.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{ItemFn, ReturnType, Type};

use super::emit::argument_types;
use crate::item::{self, last_segment, type_arguments};
use crate::paths::{
    HTTP_ARG_PROBE, HTTP_ERROR_PROBE, HTTP_PROBES, HTTP_REPLY_PROBE, HTTP_SIGNATURE, SCHEMA_PROBE,
    UNNAMED_TYPE,
};

/// The extractors whose type argument is a body, path or query type with a schema.
const WRAPPERS: &[&str] = &["Json", "Path", "Query"];

/// `fn __asyncworker_describe(&mut HttpSignature)`.
pub(crate) fn describe(func: &ItemFn) -> TokenStream {
    let args = argument_types(func)
        .into_iter()
        .filter(|ty| item::nameable(ty))
        .map(|ty| {
            let inner = schema_of(wrapped(ty, WRAPPERS));
            quote!((&#HTTP_ARG_PROBE::<#ty>::NEW).describe_arg(__sig, #inner, true);)
        });
    let reply = reply(func);
    quote! {
        #[allow(unused_imports, clippy::needless_borrow)]
        fn __asyncworker_describe(__sig: &mut #HTTP_SIGNATURE) {
            use #HTTP_PROBES::*;
            #(#args)*
            #reply
        }
    }
}

/// The probes of the return type: the successful answer (the `Ok` of a `Result`, the last
/// element of a tuple, whose status is the first element's when that is a `StatusCode`), and
/// the error type of a `Result`.
fn reply(func: &ItemFn) -> TokenStream {
    let ty = match &func.sig.output {
        ReturnType::Default => {
            return quote!((&#HTTP_REPLY_PROBE::<()>::NEW).describe_reply(__sig, #UNNAMED_TYPE(), true););
        }
        ReturnType::Type(_, ty) if item::nameable(ty) => &**ty,
        // `impl IntoResponse`: the document says "any answer".
        ReturnType::Type(..) => return TokenStream::new(),
    };
    let (ok_type, error) = match result_parts(ty) {
        Some((ok, error)) => (ok, error),
        None => (ty, None),
    };
    let (body, ok) = tuple_body(ok_type);
    let inner = schema_of(wrapped(body, &["Json"]));
    let error = error.map(|e| quote!((&#HTTP_ERROR_PROBE::<#e>::NEW).describe_error(__sig);));
    quote! {
        (&#HTTP_REPLY_PROBE::<#body>::NEW).describe_reply(__sig, #inner, #ok);
        #error
    }
}

/// `(A, Some(E))` of `Result<A, E>`, `(A, None)` of an alias `Result<A>`.
fn result_parts(ty: &Type) -> Option<(&Type, Option<&Type>)> {
    let segment = last_segment(ty).filter(|s| s.ident == "Result")?;
    match type_arguments(segment)[..] {
        [ok] => Some((ok, None)),
        [ok, error] => Some((ok, Some(error))),
        _ => None,
    }
}

/// The body of a tuple answer (its last element) and whether its status is 200: not when the
/// first element is a `StatusCode`. Any other type is its own body.
fn tuple_body(ty: &Type) -> (&Type, bool) {
    match ty {
        Type::Tuple(t) if t.elems.len() >= 2 => {
            let first = last_segment(&t.elems[0]).is_some_and(|s| s.ident == "StatusCode");
            let last = t.elems.last().unwrap_or(ty);
            (last, !first)
        }
        Type::Paren(p) => tuple_body(&p.elem),
        _ => (ty, true),
    }
}

/// `T` of `W<T>` for `W` among `wrappers`.
fn wrapped<'a>(ty: &'a Type, wrappers: &[&str]) -> Option<&'a Type> {
    let segment = last_segment(ty).filter(|s| wrappers.iter().any(|w| s.ident == w))?;
    match type_arguments(segment)[..] {
        [inner] => Some(inner),
        _ => None,
    }
}

/// The schema of `ty` as the schema probe finds it, or "no type" when there is none.
fn schema_of(ty: Option<&Type>) -> TokenStream {
    match ty {
        Some(ty) => quote!((&&#SCHEMA_PROBE::<#ty>::NEW).type_schema()),
        None => quote!(#UNNAMED_TYPE()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Type {
        syn::parse_str(text).unwrap()
    }

    fn text(ty: &Type) -> String {
        quote!(#ty).to_string().replace(' ', "")
    }

    #[test]
    fn results_and_tuples_are_opened() {
        let result = ty("Result<(StatusCode, Json<User>), HttpError>");
        let (ok, error) = result_parts(&result).unwrap();
        assert_eq!(text(error.unwrap()), "HttpError");
        let (body, status_ok) = tuple_body(ok);
        assert_eq!(text(body), "Json<User>");
        assert!(!status_ok);
        assert_eq!(text(wrapped(body, &["Json"]).unwrap()), "User");
        let headers = ty("(HeaderMap, Json<User>)");
        assert!(tuple_body(&headers).1);
        assert!(
            result_parts(&ty("anyhow::Result<String>"))
                .unwrap()
                .1
                .is_none()
        );
        assert!(wrapped(&ty("Vec<u8>"), WRAPPERS).is_none());
    }
}
