//! What the code `#[route(http = ...)]` registers: the paths, the methods, the handler's
//! factory and the state its extractors need.

use super::handler::HttpFactory;
use crate::handler::StateRequirement;

/// A registered HTTP route, as `#[route(http = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct HttpRouteDef {
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// The handler's doc comment, its `///` lines joined by `\n`: the summary and description
    /// of the route in the documents.
    pub doc: &'static str,
    /// Path templates (`/users/{id}`), validated by the macro.
    pub paths: &'static [&'static str],
    /// Upper-case method names, validated by the macro.
    pub methods: &'static [&'static str],
    /// `layers = path::to::fn`: tower layers around this route only.
    pub layers: Option<super::HttpLayers>,
    /// What the handler's signature tells the OpenAPI document.
    pub describe: super::describe::Describe,
    pub factory: fn() -> HttpFactory,
    pub required_state: fn(&mut Vec<StateRequirement>),
}

inventory::collect!(HttpRouteDef);

crate::registry::route_def!(HttpRouteDef);
