//! Settings read from `ASYNCWORKER_*` environment variables, overridable with `main!(key = value)`.

mod connection_urls;
mod env;
mod error;
mod main_options;
mod parse;
mod route;
#[cfg(test)]
mod tests;
mod values;

pub use connection_urls::AmqpTls;
pub use error::SettingsError;
pub use main_options::MainOptions;
pub use route::RouteOverride;
pub use values::{LogFormat, Settings};

pub(crate) use connection_urls::{ConnectionTls, TlsFile};
pub(crate) use route::{route_override, route_var};
