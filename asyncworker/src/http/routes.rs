//! Which HTTP routes clash: the same method on the same path twice, two paths the router
//! cannot tell apart, or a user route on a built-in endpoint's path. Every clash names both
//! places.

use std::collections::HashMap;

use super::builtins::Builtin;
use super::def::HttpRouteDef;
use crate::registry::RouteDef as _;
use crate::registry::RouteProblem;

/// Every clash among the built-in endpoints and the routes `defs`.
pub(crate) fn clashes(defs: &[&'static HttpRouteDef], builtins: &[Builtin]) -> Vec<RouteProblem> {
    let mut table = Table::default();
    // Built-in endpoints first, so a user route on one of their paths names both.
    for builtin in builtins {
        table.add_builtin(builtin);
    }
    for def in defs {
        let origin = format!("route `{}` at {}", def.name, def.location());
        for path in def.paths {
            table.add_route(def, path, &origin);
        }
    }
    table.problems
}

/// What is routed so far, by path shape (see [`path_shape`]); an origin says who routes it,
/// in words.
#[derive(Default)]
struct Table {
    /// Shape -> the exact path first seen with it, and who used it.
    shapes: HashMap<String, (String, String)>,
    /// The shapes of the built-in endpoints' paths.
    builtin: Vec<String>,
    /// (method, shape) -> who routes it.
    routed: HashMap<(&'static str, String), String>,
    problems: Vec<RouteProblem>,
}

impl Table {
    fn add_builtin(&mut self, builtin: &Builtin) {
        let path = &builtin.path;
        let shape = path_shape(path);
        let entry = (path.clone(), builtin.origin());
        if let Some((_, first)) = self.shapes.insert(shape.clone(), entry) {
            self.problems.push(RouteProblem::worker(format!(
                "`{path}` is the path of both {first} and another built-in endpoint; give each its own path"
            )));
        }
        self.builtin.push(shape);
    }

    /// `path` of the route `def`, whose origin is `origin`.
    fn add_route(&mut self, def: &'static HttpRouteDef, path: &'static str, origin: &str) {
        let shape = path_shape(path);
        if self.builtin.contains(&shape) {
            let builtin = &self.shapes[&shape].1;
            self.problems.push(RouteProblem::of(def, format!(
                "uses `{path}`, the path of {builtin}; pick another path for the route, or move the endpoint with that setting"
            )));
            return;
        }
        match self.shapes.get(&shape) {
            Some((exact, first)) if exact != path => self.problems.push(RouteProblem::worker(format!(
                "`{exact}` ({first}) and `{path}` ({origin}) differ only in their parameter names; the router cannot tell them apart: use the same names"
            ))),
            Some(_) => {}
            None => {
                self.shapes
                    .insert(shape.clone(), (path.to_owned(), origin.to_owned()));
            }
        }
        for method in def.methods {
            let key = (*method, shape.clone());
            if let Some(first) = self.routed.insert(key, origin.to_owned()) {
                self.problems.push(RouteProblem::worker(format!(
                    "`{method} {path}` is routed twice: by {first} and by {origin}"
                )));
            }
        }
    }
}

/// A path with its parameter names erased: `/users/{id}` and `/users/{name}` are the same
/// route to the router.
fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    let mut wildcard = false;
    for c in path.chars() {
        match c {
            '{' if !in_param => {
                in_param = true;
                wildcard = false;
                out.push('{');
            }
            '*' if in_param => wildcard = true,
            '}' if in_param => {
                in_param = false;
                if wildcard {
                    out.push('*');
                }
                out.push('}');
            }
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_erase_parameter_names() {
        assert_eq!(path_shape("/users/{id}"), "/users/{}");
        assert_eq!(path_shape("/users/{name}/x"), "/users/{}/x");
        assert_eq!(path_shape("/files/{*rest}"), "/files/{*}");
        assert_eq!(path_shape("/"), "/");
    }
}
