//! What the documents of a worker (OpenAPI, AsyncAPI, broker definitions) are made of, apart
//! from any backend: the JSON Schemas of the types routes take and return ([`TypeSchema`],
//! collected in [`Components`]) and the prose of a route's doc comment ([`Prose`]).
//!
//! Types that derive `JsonSchema` (with the `schema` feature) appear with their schema;
//! every other type is described as free-form JSON, never a compile error.

// `schema`: a type's schema, or "free-form", found by the generated code; `prose`: summary
// and description from `///`.

// Until the documents that use them land (issue 16 is built in parts).
#[allow(dead_code)]
mod prose;
#[allow(dead_code)]
mod schema;

#[allow(unused_imports)]
pub(crate) use prose::Prose;
#[allow(unused_imports)]
pub(crate) use schema::Components;
pub use schema::TypeSchema;

/// What the code `#[route]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    #[cfg(feature = "schema")]
    pub use super::schema::ProbeJsonSchema;
    pub use super::schema::{ProbeFreeForm, SchemaProbe, TypeSchema};
}
