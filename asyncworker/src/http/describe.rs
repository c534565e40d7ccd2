//! What a handler's signature says of its requests and responses, for the OpenAPI document:
//! `#[route]` runs one probe per argument and one for the return type, and method resolution
//! on the (concrete) types picks what each one means. A type no probe knows says nothing; it is
//! never a compile error.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{Html, Response};

use super::extract::{HttpError, Json, Path, Query};
use crate::docs::TypeSchema;

/// What one handler's signature tells: filled by the code `#[route(http = ...)]` generates.
#[doc(hidden)]
#[derive(Debug, Default, Clone)]
pub struct Signature {
    /// `Path<T>`: the schema of `T` (a scalar, a tuple, or a struct by parameter name).
    pub(crate) path: Option<TypeSchema>,
    /// `Query<T>`: the schema of `T`, a struct whose fields are the parameters.
    pub(crate) query: Option<TypeSchema>,
    pub(crate) body: Option<BodyDoc>,
    pub(crate) reply: Option<ReplyDoc>,
    /// The handler returns `Result<_, HttpError>`: any status may carry the JSON error body.
    pub(crate) http_errors: bool,
    /// The handler returns `Result<_, E>` with another `E`: any status, any body.
    pub(crate) other_errors: bool,
}

/// A request body, by its extractor.
#[derive(Debug, Clone)]
pub(crate) enum BodyDoc {
    /// `Json<T>`: `application/json`, rejected with 400, 415 or 422 by our extractor.
    Json(TypeSchema),
    /// `String`: any text.
    Text,
    /// `Bytes`: any bytes.
    Bytes,
}

/// The successful answer, by the return type (the `Ok` of a `Result`, the body of a
/// `(StatusCode, body)` tuple).
#[derive(Debug, Clone)]
pub(crate) struct ReplyDoc {
    pub(crate) body: ReplyBody,
    /// Whether the status is 200 (a status chosen at run time is documented as `default`).
    pub(crate) ok: bool,
}

/// The body of the successful answer.
#[derive(Debug, Clone)]
pub(crate) enum ReplyBody {
    Json(TypeSchema),
    Text,
    Html,
    /// No body (`()`, `StatusCode`).
    Empty,
    /// Whatever the handler builds (`Response`, `impl IntoResponse`, a type of the user's).
    Unknown,
}

/// The probe of an argument type `T`: `(&HttpArgProbe::<T>::NEW).describe_arg(sig, inner)`
/// records what `T` is (`inner`: the schema of `T`'s type argument, when it has one).
#[doc(hidden)]
pub struct HttpArgProbe<T: ?Sized>(PhantomData<fn() -> T>);

impl<T: ?Sized> HttpArgProbe<T> {
    pub const NEW: HttpArgProbe<T> = HttpArgProbe(PhantomData);
}

/// The probe of a return type (of the `Ok` of a `Result`, of the body of a tuple).
#[doc(hidden)]
pub struct HttpReplyProbe<T: ?Sized>(PhantomData<fn() -> T>);

impl<T: ?Sized> HttpReplyProbe<T> {
    pub const NEW: HttpReplyProbe<T> = HttpReplyProbe(PhantomData);
}

/// Defines one probe trait per kind of argument or answer, implemented for the probe of the
/// types of that kind; the catch-all trait is implemented for a reference to any probe, so
/// that it is only picked when no kind matches (autoref specialization).
macro_rules! probes {
    ($probe:ident, $method:ident, $fallback:ident, |$sig:ident, $inner:ident, $ok:ident| {
        $($trait:ident for [$($gen:ident)?] $ty:ty => $body:expr;)*
    }) => {
        $(
            #[doc(hidden)]
            pub trait $trait {
                fn $method(&self, $sig: &mut Signature, $inner: TypeSchema, $ok: bool);
            }
            impl<$($gen)?> $trait for $probe<$ty> {
                #[allow(unused_variables)]
                fn $method(&self, $sig: &mut Signature, $inner: TypeSchema, $ok: bool) {
                    $body
                }
            }
        )*
        #[doc(hidden)]
        pub trait $fallback {
            fn $method(&self, $sig: &mut Signature, $inner: TypeSchema, $ok: bool);
        }
    };
}

probes!(HttpArgProbe, describe_arg, ArgOther, |sig, inner, _ok| {
    ArgJson for [T] Json<T> => sig.body = Some(BodyDoc::Json(inner));
    ArgAxumJson for [T] axum::Json<T> => sig.body = Some(BodyDoc::Json(inner));
    ArgPath for [T] Path<T> => sig.path = Some(inner);
    ArgAxumPath for [T] axum::extract::Path<T> => sig.path = Some(inner);
    ArgQuery for [T] Query<T> => sig.query = Some(inner);
    ArgAxumQuery for [T] axum::extract::Query<T> => sig.query = Some(inner);
    ArgText for [] String => sig.body = Some(BodyDoc::Text);
    ArgBytes for [] Bytes => sig.body = Some(BodyDoc::Bytes);
});

impl<T: ?Sized> ArgOther for &HttpArgProbe<T> {
    /// Headers, the method, `State<T>`, `App`...: nothing the document shows.
    fn describe_arg(&self, _: &mut Signature, _: TypeSchema, _: bool) {}
}

probes!(HttpReplyProbe, describe_reply, ReplyOther, |sig, inner, ok| {
    ReplyJson for [T] Json<T> => sig.reply(ReplyBody::Json(inner), ok);
    ReplyAxumJson for [T] axum::Json<T> => sig.reply(ReplyBody::Json(inner), ok);
    ReplyString for [] String => sig.reply(ReplyBody::Text, ok);
    ReplyStr for [] &'static str => sig.reply(ReplyBody::Text, ok);
    ReplyHtml for [T] Html<T> => sig.reply(ReplyBody::Html, ok);
    ReplyUnit for [] () => sig.reply(ReplyBody::Empty, ok);
    // The status is the value: any.
    ReplyStatus for [] StatusCode => sig.reply(ReplyBody::Empty, false);
    ReplyResponse for [] Response => sig.reply(ReplyBody::Unknown, false);
});

impl<T: ?Sized> ReplyOther for &HttpReplyProbe<T> {
    fn describe_reply(&self, sig: &mut Signature, _: TypeSchema, _: bool) {
        sig.reply(ReplyBody::Unknown, false);
    }
}

/// The probe of the error type of a handler returning `Result<_, E>`.
#[doc(hidden)]
pub struct HttpErrorProbe<T: ?Sized>(PhantomData<fn() -> T>);

impl<T: ?Sized> HttpErrorProbe<T> {
    pub const NEW: HttpErrorProbe<T> = HttpErrorProbe(PhantomData);
}

/// `HttpError`: the JSON error body, with any status.
#[doc(hidden)]
pub trait ErrorJson {
    fn describe_error(&self, sig: &mut Signature);
}

impl ErrorJson for HttpErrorProbe<HttpError> {
    fn describe_error(&self, sig: &mut Signature) {
        sig.http_errors = true;
    }
}

/// Any other error type: an answer the document cannot describe.
#[doc(hidden)]
pub trait ErrorOther {
    fn describe_error(&self, sig: &mut Signature);
}

impl<T: ?Sized> ErrorOther for &HttpErrorProbe<T> {
    fn describe_error(&self, sig: &mut Signature) {
        sig.other_errors = true;
    }
}

/// The probe traits, imported with a glob by the generated code, with those of the schema of
/// a type argument.
#[doc(hidden)]
pub mod probes {
    pub use super::{
        ArgAxumJson, ArgAxumPath, ArgAxumQuery, ArgBytes, ArgJson, ArgOther, ArgPath, ArgQuery,
        ArgText, ErrorJson, ErrorOther, ReplyAxumJson, ReplyHtml, ReplyJson, ReplyOther,
        ReplyResponse, ReplyStatus, ReplyStr, ReplyString, ReplyUnit,
    };
    pub use crate::docs::exports::probes::*;
}

impl Signature {
    fn reply(&mut self, body: ReplyBody, ok: bool) {
        self.reply = Some(ReplyDoc { body, ok });
    }
}

/// What `#[route]` records of a handler: a function filling a [`Signature`].
#[doc(hidden)]
pub type Describe = fn(&mut Signature);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::App;

    #[test]
    #[allow(clippy::needless_borrow)] // the borrow is what selects the fallback
    fn arguments_are_told_apart_by_type() {
        let mut sig = Signature::default();
        (&HttpArgProbe::<Path<u64>>::NEW).describe_arg(
            &mut sig,
            TypeSchema::free_form::<u64>(),
            true,
        );
        (&HttpArgProbe::<App>::NEW).describe_arg(&mut sig, TypeSchema::unnamed(), true);
        (&HttpArgProbe::<Json<String>>::NEW).describe_arg(
            &mut sig,
            TypeSchema::free_form::<String>(),
            true,
        );
        assert_eq!(sig.path.unwrap().type_name(), "u64");
        assert!(sig.query.is_none());
        assert!(matches!(sig.body, Some(BodyDoc::Json(_))));
        let mut other = Signature::default();
        let headers = TypeSchema::unnamed();
        (&HttpArgProbe::<axum::http::HeaderMap>::NEW).describe_arg(&mut other, headers, true);
        assert!(other.body.is_none() && other.path.is_none());
    }

    #[test]
    #[allow(clippy::needless_borrow)]
    fn replies_and_errors() {
        let mut sig = Signature::default();
        (&HttpReplyProbe::<Json<u8>>::NEW).describe_reply(
            &mut sig,
            TypeSchema::free_form::<u8>(),
            true,
        );
        (&HttpErrorProbe::<HttpError>::NEW).describe_error(&mut sig);
        assert!(sig.http_errors);
        assert!(sig.reply.as_ref().unwrap().ok);
        let mut sig = Signature::default();
        (&HttpReplyProbe::<u8>::NEW).describe_reply(&mut sig, TypeSchema::unnamed(), true);
        assert!(matches!(
            sig.reply.as_ref().unwrap().body,
            ReplyBody::Unknown
        ));
        (&HttpErrorProbe::<std::io::Error>::NEW).describe_error(&mut sig);
        assert!(!sig.http_errors && sig.other_errors);
    }
}
