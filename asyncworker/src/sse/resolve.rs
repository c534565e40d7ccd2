//! How an SSE route's options resolve: deployment overrides, the server's URL, one URL per
//! path, and the request headers with `${VAR}` interpolated. Every problem is reported, not
//! just the first.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::def::SseRouteDef;
use crate::bulk::BulkOptions;
use crate::registry::RouteDef as _;
use crate::registry::RouteProblem;
use crate::settings::Settings;

/// A route's options after deployment overrides, with its URLs and headers built.
pub(crate) struct Resolved {
    pub(crate) def: &'static SseRouteDef,
    /// The bulk options, with the deployment's overrides.
    pub(crate) bulk: BulkOptions,
    /// The server's URL, as configured (empty when none is).
    pub(crate) base: String,
    /// One URL per path, in the order of `def.paths`.
    pub(crate) urls: Vec<reqwest::Url>,
    /// The headers of every request of this route: the SSE ones and the route's own.
    pub(crate) headers: HeaderMap,
}

impl Resolved {
    /// Resolves `def` against the settings and the environment (`lookup`).
    pub(crate) fn new(
        def: &'static SseRouteDef,
        settings: &Settings,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, Vec<RouteProblem>> {
        let mut problems = Vec::new();
        let bulk = match crate::settings::route_override(def.name, settings, lookup) {
            Ok(over) => def.options.bulk().with_override(&over),
            Err(bad) => {
                problems.extend(bad);
                def.options.bulk()
            }
        };
        let base = base_url(def, settings, lookup).unwrap_or_else(|| {
            problems
                .push("has no `url` and ASYNCWORKER_SSE_URL is not set; set one of them".into());
            String::new()
        });
        let urls = stream_urls(&base, def.paths, &mut problems);
        let headers = request_headers(def.options.headers, lookup, &mut problems);
        if !problems.is_empty() {
            return Err(problems
                .into_iter()
                .map(|message| RouteProblem::of(def, message))
                .collect());
        }
        Ok(Resolved {
            def,
            bulk,
            base,
            urls,
            headers,
        })
    }

    /// A one-line summary for `--routes` and the startup log (header values are not shown).
    pub(crate) fn describe(&self) -> String {
        let o = &self.def.options;
        let mut s = format!(
            "sse   {:<20} url={:?} paths={:?} bulk_size={} bulk_flush={}ms concurrency={} idle_timeout={}ms max_event_size={}",
            self.def.name,
            self.base,
            self.def.paths,
            self.bulk.bulk_size,
            self.bulk.bulk_flush_ms,
            self.bulk.concurrency,
            o.idle_timeout_ms,
            o.max_event_size,
        );
        if let Some(t) = self.bulk.timeout_ms {
            s.push_str(&format!(" timeout={t}ms"));
        }
        if !o.headers.is_empty() {
            let names: Vec<&str> = o
                .headers
                .iter()
                .map(|h| h.split(':').next().unwrap_or("").trim())
                .collect();
            s.push_str(&format!(" headers={names:?}"));
        }
        s.push_str(&format!("  ({})", self.def.location()));
        s
    }
}

/// The server's URL: the deployment's `ASYNCWORKER_ROUTE_<NAME>_URL` first, then the route's
/// `url`, then `ASYNCWORKER_SSE_URL`.
fn base_url(
    def: &SseRouteDef,
    settings: &Settings,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    lookup(&crate::settings::route_var(def.name, "URL"))
        .or_else(|| def.options.url.map(str::to_owned))
        .or_else(|| settings.sse_url.clone())
}

/// One URL per path, below `base`; each one that is not an `http://` or `https://` URL with a
/// host is a problem, and so is `https://` in a build without the `tls` feature (it must never
/// fall back to plain text). An empty `base` (already a problem, or an empty override) gives
/// no URL.
pub(crate) fn stream_urls(
    base: &str,
    paths: &[&str],
    problems: &mut Vec<String>,
) -> Vec<reqwest::Url> {
    if base.is_empty() {
        return Vec::new();
    }
    let mut urls = Vec::with_capacity(paths.len());
    for path in paths {
        let full = format!("{}{path}", base.trim_end_matches('/'));
        match reqwest::Url::parse(&full) {
            Ok(u) if u.scheme() == "https" && !cfg!(feature = "tls") => problems.push(format!(
                "{full:?} is https://, which needs asyncworker's `tls` feature (this build has none)"
            )),
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
                urls.push(u)
            }
            Ok(_) => problems.push(format!(
                "{full:?} is not an http:// or https:// URL with a host"
            )),
            Err(e) => problems.push(format!("{full:?} is not a valid URL: {e}")),
        }
    }
    urls
}

/// The headers of every request: `Accept: text/event-stream`, `Cache-Control: no-cache`, then
/// the route's own `"Name: value"` templates, interpolated.
fn request_headers(
    templates: &[&str],
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        reqwest::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    for template in templates {
        match header(template, lookup) {
            Ok((name, value)) => {
                headers.insert(name, value);
            }
            Err(problem) => problems.push(problem),
        }
    }
    headers
}

/// One `"Name: value"` template as a header, its value interpolated and marked sensitive.
fn header(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = template
        .split_once(':')
        .ok_or_else(|| format!("header {template:?} is not `Name: value`"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("{:?} is not a header name", name.trim()))?;
    let value = interpolate(value.trim(), lookup).map_err(|missing| {
        format!("header `{name}` needs the environment variable {missing}, which is not set")
    })?;
    let mut value = HeaderValue::from_str(&value).map_err(|_| {
        format!("the value of header `{name}` is not a valid header value once interpolated")
    })?;
    // Tokens must not end up in debug output.
    value.set_sensitive(true);
    Ok((name, value))
}

/// Replaces `${VAR}` with the value of `VAR` and `$$` with `$`; any other `$` is kept.
/// `Err` names the first variable that is not set.
pub(crate) fn interpolate(
    template: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{')
            && let Some(end) = body.find('}')
        {
            let var = &body[..end];
            out.push_str(&lookup(var).ok_or_else(|| var.to_owned())?);
            rest = &body[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}
