//! The JSON Schema of a type a route takes or returns, as the generated code finds it: the
//! type's own when it derives `JsonSchema` (and the `schema` feature is on), else free-form.
//! The choice is made by method resolution on a [`SchemaProbe`] in the route's (concrete)
//! code, so a type without a schema is never a compile error.

use std::marker::PhantomData;

use serde_json::{Map, Value, json};

/// How to write a type's schema into a document's [`Components`].
type SchemaFn = fn(&mut Components) -> Value;

/// The schema of one Rust type, for a document: its own when it derives
/// `JsonSchema` (`asyncworker::schema::JsonSchema`, with the `schema` feature), else free-form JSON.
///
/// ```
/// use asyncworker::schema::TypeSchema;
///
/// let free = TypeSchema::free_form::<std::net::IpAddr>();
/// assert!(!free.has_schema());
/// assert!(free.type_name().ends_with("IpAddr"));
/// ```
#[derive(Clone, Copy)]
pub struct TypeSchema {
    type_name: &'static str,
    schema: Option<SchemaFn>,
}

impl TypeSchema {
    /// The schema `T` derives.
    #[cfg(feature = "schema")]
    pub fn of<T: schemars::JsonSchema + ?Sized>() -> TypeSchema {
        TypeSchema {
            type_name: std::any::type_name::<T>(),
            schema: Some(|components| components.subschema_for::<T>()),
        }
    }

    /// `T` without a schema: documents describe it as free-form JSON.
    pub fn free_form<T: ?Sized>() -> TypeSchema {
        TypeSchema {
            type_name: std::any::type_name::<T>(),
            schema: None,
        }
    }

    /// A type the generated code could not name (written with `impl Trait`, or behind an
    /// alias): free-form JSON.
    pub(crate) fn unnamed() -> TypeSchema {
        TypeSchema {
            type_name: "",
            schema: None,
        }
    }

    /// The Rust name of the type (`my_crate::Order`), as [`std::any::type_name`] gives it.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Whether the type has a schema of its own.
    pub fn has_schema(&self) -> bool {
        self.schema.is_some()
    }
}

impl std::fmt::Debug for TypeSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeSchema")
            .field("type_name", &self.type_name)
            .field("has_schema", &self.has_schema())
            .finish()
    }
}

/// The named schemas of one document (`#/components/schemas/...` in OpenAPI 3.1 and AsyncAPI
/// 3.0 alike, both on JSON Schema 2020-12), and the inline schemas that refer to them.
pub(crate) struct Components {
    #[cfg(feature = "schema")]
    generator: schemars::SchemaGenerator,
}

impl Components {
    pub(crate) fn new() -> Components {
        Components::with(false)
    }

    /// The schema of `ty` with every type it uses written in place rather than referred to:
    /// what the parameters of an OpenAPI operation are read from (one per field).
    pub(crate) fn inline(ty: &TypeSchema) -> Value {
        Components::with(true).schema(ty)
    }

    #[cfg_attr(not(feature = "schema"), allow(unused_variables))]
    fn with(inline: bool) -> Components {
        Components {
            #[cfg(feature = "schema")]
            generator: schemars::generate::SchemaSettings::draft2020_12()
                .with(|s| {
                    s.definitions_path = "/components/schemas".into();
                    s.meta_schema = None;
                    s.inline_subschemas = inline;
                })
                .into_generator(),
        }
    }

    /// The schema of `ty` where a document uses it: a `$ref` to a named schema, an inline
    /// schema, or, for a type without one, free-form JSON named by its Rust type.
    pub(crate) fn schema(&mut self, ty: &TypeSchema) -> Value {
        match ty.schema {
            Some(schema) => {
                let mut value = schema(self);
                bound_integers(&mut value);
                value
            }
            None if ty.type_name.is_empty() => json!({ "description": "free-form JSON" }),
            None => json!({ "description": format!("free-form JSON (`{}`)", ty.type_name) }),
        }
    }

    #[cfg(feature = "schema")]
    fn subschema_for<T: schemars::JsonSchema + ?Sized>(&mut self) -> Value {
        self.generator.subschema_for::<T>().to_value()
    }

    /// Every named schema used so far, by name.
    pub(crate) fn into_schemas(self) -> Map<String, Value> {
        #[cfg(feature = "schema")]
        {
            let mut generator = self.generator;
            let mut schemas = generator.take_definitions(true);
            schemas.values_mut().for_each(bound_integers);
            schemas
        }
        #[cfg(not(feature = "schema"))]
        Map::new()
    }
}

/// Gives every integer schema with a sized `format` (`uint32`, `int64`...) the bounds of its
/// Rust type, which schemars leaves out: a value beyond them is refused by the route, so a
/// document without them would promise what the route does not accept (and fuzzers driven
/// by the document send such values).
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let bounds = map
                .get("format")
                .and_then(Value::as_str)
                .and_then(integer_bounds);
            if let Some((min, max)) = bounds {
                map.entry("minimum").or_insert(min);
                map.entry("maximum").or_insert(max);
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// The range of the Rust integer type of a JSON Schema `format`, as JSON numbers.
fn integer_bounds(format: &str) -> Option<(Value, Value)> {
    Some(match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" => (i64::MIN.into(), i64::MAX.into()),
        "uint8" => (0.into(), u8::MAX.into()),
        "uint16" => (0.into(), u16::MAX.into()),
        "uint32" => (0.into(), u32::MAX.into()),
        "uint64" => (0.into(), u64::MAX.into()),
        _ => return None,
    })
}

/// The schema of a message type the generated code could not name: free-form.
#[doc(hidden)]
pub fn unnamed_type() -> TypeSchema {
    TypeSchema::unnamed()
}

/// Finds the [`TypeSchema`] of `T` in generated code:
/// `(&&SchemaProbe::<T>::NEW).type_schema()` resolves to [`ProbeJsonSchema`] when `T` derives
/// `JsonSchema` and to [`ProbeFreeForm`] otherwise (autoref specialization: the call site's
/// types are concrete).
#[doc(hidden)]
pub struct SchemaProbe<T: ?Sized>(PhantomData<fn() -> T>);

impl<T: ?Sized> SchemaProbe<T> {
    /// The probe; a constant so that generated code can borrow it for `'static`.
    pub const NEW: SchemaProbe<T> = SchemaProbe(PhantomData);
}

/// The probe's choice for types with a schema.
#[doc(hidden)]
#[cfg(feature = "schema")]
pub trait ProbeJsonSchema {
    fn type_schema(&self) -> TypeSchema;
}

#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema + ?Sized> ProbeJsonSchema for &SchemaProbe<T> {
    fn type_schema(&self) -> TypeSchema {
        TypeSchema::of::<T>()
    }
}

/// The probe's choice for every other type.
#[doc(hidden)]
pub trait ProbeFreeForm {
    fn type_schema(&self) -> TypeSchema;
}

impl<T: ?Sized> ProbeFreeForm for SchemaProbe<T> {
    fn type_schema(&self) -> TypeSchema {
        TypeSchema::free_form::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;

    #[test]
    // Without the feature there is one probe trait, and the borrows are needless.
    #[allow(clippy::needless_borrow)]
    fn a_type_without_schema_is_free_form() {
        let ty = (&&SchemaProbe::<Plain>::NEW).type_schema();
        assert!(!ty.has_schema());
        let value = Components::new().schema(&ty);
        assert!(value["description"].as_str().unwrap().contains("Plain"));
    }

    #[cfg(feature = "schema")]
    #[test]
    fn a_type_with_a_schema_is_a_named_component() {
        #[derive(schemars::JsonSchema)]
        #[allow(dead_code)]
        struct Order {
            id: u64,
        }
        let ty = (&&SchemaProbe::<Order>::NEW).type_schema();
        assert!(ty.has_schema());
        let mut components = Components::new();
        let value = components.schema(&ty);
        assert_eq!(value, json!({ "$ref": "#/components/schemas/Order" }));
        let schemas = components.into_schemas();
        assert_eq!(schemas["Order"]["properties"]["id"]["type"], "integer");
        assert_eq!(schemas["Order"]["properties"]["id"]["maximum"], u64::MAX);
        let inline = Components::inline(&ty);
        assert_eq!(inline["properties"]["id"]["minimum"], 0);
    }
}
