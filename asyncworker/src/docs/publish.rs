//! What a route declares it publishes with `app.amqp()` (`publishes = [...]`), for the
//! documents. A route of any backend may declare it, so the records are the core's: `#[route]`
//! submits one [`PublishesDef`] per route that has the key, next to the route's own record.
//! Nothing checks at run time that the handler publishes only what it declares.

use super::schema::TypeSchema;

/// The messages one route publishes, as `#[route(..., publishes = [...])]` submits them.
#[doc(hidden)]
#[derive(Debug)]
pub struct PublishesDef {
    /// The route's name.
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// The route's backend key: `amqp`, `http`, `sse`, `every` or `cron`.
    pub backend: &'static str,
    /// The handler's doc comment.
    pub doc: &'static str,
    pub publishes: &'static [Publish],
}

inventory::collect!(PublishesDef);
crate::registry::route_def!(PublishesDef);

/// One entry of `publishes`: where `app.amqp().publish(exchange, routing_key, ..)` sends, and
/// what.
#[doc(hidden)]
#[derive(Debug)]
pub struct Publish {
    /// The exchange; empty for the default exchange (the routing key is then a queue).
    pub exchange: &'static str,
    pub routing_key: &'static str,
    /// The body's type (`Invoice => "billing:invoice.created"`); `None`: free-form.
    pub message: Option<fn() -> TypeSchema>,
}

impl PublishesDef {
    /// Whether a worker whose `--only` is `only` runs this route (`every` and `cron` are
    /// `schedule`).
    pub(crate) fn runs_with(&self, only: Option<&[String]>) -> bool {
        let kind = match self.backend {
            "every" | "cron" => "schedule",
            other => other,
        };
        only.is_none_or(|o| o.iter().any(|k| k == kind))
    }
}
