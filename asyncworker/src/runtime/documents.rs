//! The documents the worker binary prints and exits: `--topology` (the broker definitions the
//! routes declare), `--asyncapi` (the AsyncAPI 3.0 document of the routes) and `--openapi` (the
//! OpenAPI 3.1 document of the HTTP routes). All are read from the prepared backends, as
//! `--routes` is: nothing connects or runs.

use std::process::ExitCode;

use serde_json::Value;

use super::Worker;
use super::cli::fail;
use crate::docs::PublishesDef;
use crate::docs::asyncapi::AsyncApi;
use crate::registry::Filter;
use crate::settings::Settings;

/// `--topology`: the RabbitMQ definitions document on stdout, notes on stderr.
pub(super) fn run_topology(settings: Settings) -> ExitCode {
    let backends = match Worker::new(settings).prepared() {
        Ok(b) => b,
        Err(e) => return fail(&e),
    };
    let Some(definitions) = backends.iter().find_map(|b| b.topology()) else {
        return fail(&"--topology: this worker has no AMQP routes, so it declares nothing");
    };
    for note in &definitions.notes {
        eprintln!("note: {note}");
    }
    print_json(&definitions.document)
}

/// `--asyncapi`: the AsyncAPI document on stdout.
pub(super) fn run_asyncapi(settings: Settings) -> ExitCode {
    let worker = Worker::new(settings.clone());
    let backends = match worker.prepared() {
        Ok(b) => b,
        Err(e) => return fail(&e),
    };
    let mut doc = AsyncApi::new();
    for backend in &backends {
        backend.asyncapi(&mut doc);
    }
    let publishes: Vec<&PublishesDef> = crate::registry::routes::<PublishesDef>(&Filter::default())
        .into_iter()
        .filter(|d| d.runs_with(settings.only.as_deref()))
        .collect();
    if !publishes.is_empty() {
        let (servers, vhost) = publishing_servers(&settings, &mut doc);
        doc.publishes(&publishes, vhost.as_deref(), &servers);
    }
    print_json(&doc.finish(&settings.app_name, &settings.app_version))
}

/// `--openapi`: the OpenAPI document on stdout, exactly as the HTTP server serves it.
pub(super) fn run_openapi(settings: Settings) -> ExitCode {
    let backends = match Worker::new(settings).prepared() {
        Ok(b) => b,
        Err(e) => return fail(&e),
    };
    let Some(document) = backends.iter().find_map(|b| b.openapi()) else {
        return fail(
            &"--openapi: this worker serves no HTTP (no HTTP routes, and ASYNCWORKER_HTTP_ENABLED=false or the `http` feature off)",
        );
    };
    print_text(&document)
}

/// The servers `app.amqp()` publishes to, and their vhost.
#[cfg(feature = "amqp")]
fn publishing_servers(settings: &Settings, doc: &mut AsyncApi) -> (Vec<String>, Option<String>) {
    crate::amqp::publishing_servers(&settings.amqp_urls, doc)
        .map_or((Vec::new(), None), |(ids, vhost)| (ids, Some(vhost)))
}

/// Without AMQP nothing publishes; a route's `publishes` is still shown, without servers.
#[cfg(not(feature = "amqp"))]
fn publishing_servers(_: &Settings, _: &mut AsyncApi) -> (Vec<String>, Option<String>) {
    (Vec::new(), None)
}

/// `value` pretty-printed on stdout; a closed stdout is not an error worth a panic.
fn print_json(value: &Value) -> ExitCode {
    print_text(&serde_json::to_string_pretty(value).unwrap_or_default())
}

/// `text` and a newline on stdout.
fn print_text(text: &str) -> ExitCode {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    ExitCode::SUCCESS
}
