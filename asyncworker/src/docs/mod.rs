//! What the documents of a worker (OpenAPI, AsyncAPI, broker definitions) are made of, apart
//! from any backend: the JSON Schemas of the types routes take and return ([`TypeSchema`],
//! collected in [`Components`]) and the prose of a route's doc comment ([`Prose`]).
//!
//! Types that derive `JsonSchema` (with the `schema` feature) appear with their schema;
//! every other type is described as free-form JSON, never a compile error.

// `ids`: keys of a document's maps; `schema`: a type's schema, or "free-form", found by the generated code; `prose`: summary
// and description from `///`; `publish`: what routes declare they publish; `asyncapi`: the
// AsyncAPI document the backends write their parts of.

pub(crate) mod asyncapi;
pub(crate) mod ids;
mod prose;
mod publish;
mod schema;

pub(crate) use prose::Prose;
pub(crate) use publish::PublishesDef;
pub(crate) use schema::Components;
pub use schema::TypeSchema;

/// What the code `#[route]` generates names, re-exported by `__private`.
#[doc(hidden)]
pub mod exports {
    pub use super::publish::{Publish, PublishesDef};
    #[cfg(feature = "schema")]
    pub use super::schema::ProbeJsonSchema;
    pub use super::schema::{ProbeFreeForm, SchemaProbe, TypeSchema, unnamed_type};

    /// The probe traits, imported with a glob by the generated code (`ProbeJsonSchema` only
    /// exists with the `schema` feature).
    pub mod probes {
        pub use super::ProbeFreeForm;
        #[cfg(feature = "schema")]
        pub use super::ProbeJsonSchema;
    }
}
