//! The docs page (feature `docs`): Swagger UI rendering the worker's OpenAPI document, its
//! page and files answered by the routes of the `swagger-ui-dist` crate, which carries them:
//! the browser loads nothing from another host.

use axum::extract::Request;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use swagger_ui_dist::{ApiDefinition, OpenApiSource};
use tower::ServiceExt as _;

/// The files the page loads, below its path (`""`: the page itself).
const FILES: &[&str] = &[
    "",
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui.css.map",
    "swagger-ui-bundle.js.map",
    "oauth2-redirect.html",
    "oauth2-redirect.js",
];

/// The paths of the page at `docs` and of its files, with the file each one serves.
pub(crate) fn files(docs: &str) -> impl Iterator<Item = (String, &'static str)> + '_ {
    FILES.iter().map(move |file| match *file {
        "" => (docs.to_owned(), ""),
        file => (format!("{docs}/{file}"), file),
    })
}

/// Swagger UI's routes for a page at `docs` rendering the document at `openapi`.
pub(crate) fn routes(docs: &str, openapi: &str, title: &str) -> axum::Router {
    swagger_ui_dist::generate_routes(ApiDefinition {
        uri_prefix: docs.to_owned(),
        api_definition: OpenApiSource::Uri(openapi.to_owned()),
        title: Some(format!("{title}: API")),
    })
}

/// Answers `req` from Swagger UI's routes. The page names its files after the request's
/// URI, so the query is dropped: `/docs?x` must not load `/docs?x/swagger-ui.css`.
pub(crate) async fn serve(page: axum::Router, mut req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if let Ok(uri) = path.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
    match page.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_files_sit_below_its_path() {
        let paths: Vec<String> = files("/docs").map(|(path, _)| path).collect();
        assert_eq!(paths[0], "/docs");
        assert!(paths.contains(&"/docs/swagger-ui-bundle.js".to_owned()));
    }
}
