//! What the code `#[route(every = ...)]` / `#[route(cron = ...)]` registers: the trigger, the
//! options and the handler's factory.

use std::sync::Arc;

use super::handler::ScheduledHandler;
use super::run_key::RunKey;
use crate::app::App;
use crate::handler::{HandlerFuture, StateRequirement};

/// When a scheduled route runs.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Trigger {
    /// Every `ms` milliseconds (positive).
    Every(u64),
    /// A cron expression: five fields (minutes first) or six or seven (seconds first), read in
    /// UTC or in the options' `tz` (validated at compile time).
    Cron(&'static str),
}

/// The options of a scheduled route; see the README's "Schedules".
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct ScheduleOptions {
    pub max_concurrency: u16,
    pub immediately: bool,
    pub timeout_ms: Option<u64>,
    /// The IANA time zone of a `cron` route (`None`: UTC).
    pub tz: Option<&'static str>,
    /// Fires on one replica only: the one holding the route's lease (see `singleton`).
    pub singleton: bool,
}

impl ScheduleOptions {
    pub const DEFAULT: ScheduleOptions = ScheduleOptions {
        max_concurrency: 1,
        immediately: false,
        timeout_ms: None,
        tz: None,
        singleton: false,
    };
}

/// A registered scheduled route, as `#[route(every = ...)]` submits it.
#[doc(hidden)]
#[derive(Debug)]
pub struct ScheduleRouteDef {
    pub name: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    /// The handler's doc comment, its `///` lines joined by `\n`: the summary and description
    /// of the route in the documents.
    pub doc: &'static str,
    pub trigger: Trigger,
    pub options: ScheduleOptions,
    pub factory: fn() -> ScheduleFactory,
}

inventory::collect!(ScheduleRouteDef);

crate::registry::route_def!(ScheduleRouteDef);

/// The handler, erased: one call per run, with the run's key.
pub(crate) type Call = dyn Fn(&App, &RunKey) -> HandlerFuture + Send + Sync;

/// What a scheduled route's factory produces: the handler, erased, and what it needs.
#[doc(hidden)]
pub struct ScheduleFactory {
    pub(crate) call: Arc<Call>,
    pub(crate) required_state: Vec<StateRequirement>,
}

/// Builds a scheduled route's factory output; called by the generated code.
#[doc(hidden)]
pub fn schedule_factory<H, Args>(handler: H) -> ScheduleFactory
where
    H: ScheduledHandler<Args>,
    Args: 'static,
{
    let mut required_state = Vec::new();
    H::required_state(&mut required_state);
    ScheduleFactory {
        call: Arc::new(move |app: &App, key: &RunKey| handler.call(app, key)),
        required_state,
    }
}
