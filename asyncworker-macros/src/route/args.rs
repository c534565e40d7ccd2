//! Syntax of the `#[route(...)]` arguments. Meaning (ranges, combinations) is checked later, so
//! that a syntax error in one argument does not hide a semantic error in another.
//!
//! Every key is declared once, in the `route_keys!` table below; the keywords, the fields of
//! [`RouteArgs`], its parser, [`RouteArgs::present`] and each backend's list of keys all come
//! from it.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{LitBool, LitInt, LitStr, token};

use super::publishes::PublishList;
use crate::errors::Errors;
use crate::parse::{Arg, StrList, arg, field, parse_list, peek_key, unknown_argument};

/// The backends; each is a cargo feature of the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Amqp,
    Http,
    Sse,
    Sqs,
    Schedule,
}

/// Generates, from one table of keys, everything that knows the keys (see the table).
macro_rules! route_keys {
    (
        backends { $($backend_key:ident: $variant:ident($value:ty) => $backend:ident,)* }
        options { $($key:ident: $type:ty => [$($in:ident),+],)* }
    ) => {
        /// Every key `#[route]` knows.
        pub(crate) mod kw {
            $(syn::custom_keyword!($backend_key);)*
            $(syn::custom_keyword!($key);)*
        }

        /// The key that picks the backend, as written.
        pub(crate) enum BackendArg {
            $($variant(Arg<kw::$backend_key, $value>),)*
        }

        impl BackendArg {
            pub(crate) fn name(&self) -> &'static str {
                match self {
                    $(BackendArg::$variant(_) => stringify!($backend_key),)*
                }
            }

            pub(crate) fn backend(&self) -> Backend {
                match self {
                    $(BackendArg::$variant(_) => Backend::$backend,)*
                }
            }

            /// The key as written, where errors about the backend point.
            pub(crate) fn span(&self) -> Span {
                match self {
                    $(BackendArg::$variant(arg) => arg.key.span,)*
                }
            }
        }

        impl Backend {
            /// The keys a route of this backend accepts, as listed (and offered as typo fixes)
            /// when another one is met: its backend keys first, then the table's order.
            pub(crate) fn keys(self) -> Vec<&'static str> {
                let mut keys = Vec::new();
                $(if self == Backend::$backend {
                    keys.push(stringify!($backend_key));
                })*
                $(if [$(Backend::$in),+].contains(&self) {
                    keys.push(stringify!($key));
                })*
                keys
            }
        }

        /// Parsed `#[route(...)]` arguments, plus the syntax errors met on the way.
        #[derive(Default)]
        pub(crate) struct RouteArgs {
            pub(crate) backend: Option<BackendArg>,
            $(pub(crate) $key: Option<Arg<kw::$key, $type>>,)*
            /// Known keys whose argument failed to parse (reported already): checks that need
            /// such a key (`retry_delay` needs `retries`) stay quiet rather than repeat the
            /// mistake.
            pub(crate) malformed: Vec<String>,
            /// Syntax errors; parsing recovers at the next comma so every argument gets checked.
            pub(crate) errors: Vec<syn::Error>,
        }

        impl RouteArgs {
            fn parse_key(&mut self, key: Option<&str>, input: ParseStream) -> syn::Result<()> {
                match key {
                    $(Some(stringify!($backend_key)) => {
                        self.set_backend(BackendArg::$variant(arg(input)?));
                    })*
                    $(Some(stringify!($key)) => {
                        field(&mut self.$key, stringify!($key), input, &mut self.errors)?;
                    })*
                    _ => return Err(unknown_argument(input, &self.expected_keys())),
                }
                Ok(())
            }

            /// Every key given, with its span (the backend key excluded).
            pub(crate) fn present(&self) -> Vec<(&'static str, Span)> {
                let mut out = Vec::new();
                $(if let Some(arg) = &self.$key {
                    out.push((stringify!($key), arg.key.span));
                })*
                out
            }
        }
    };
}

// The order of the options is the order of the keys in error messages; each lists the
// backends that take it.
route_keys! {
    backends {
        amqp: Amqp(Queues<kw::amqp>) => Amqp,
        http: Http(StrList) => Http,
        sse: Sse(StrList) => Sse,
        sqs: Sqs(Queues<kw::sqs>) => Sqs,
        every: Every(LitStr) => Schedule,
        cron: Cron(LitStr) => Schedule,
    }
    options {
        name: LitStr => [Amqp, Http, Sse, Sqs, Schedule],
        vhost: LitStr => [Amqp],
        connection: LitStr => [Amqp],
        url: LitStr => [Sse],
        headers: StrList => [Sse],
        methods: StrList => [Http],
        bulk_size: LitInt => [Amqp, Sse, Sqs],
        bulk_flush: LitStr => [Amqp, Sse, Sqs],
        prefetch: LitInt => [Amqp],
        concurrency: LitInt => [Amqp, Sse, Sqs],
        on_success: LitStr => [Amqp, Sqs],
        on_exception: LitStr => [Amqp, Sqs],
        on_decode_error: LitStr => [Amqp, Sqs],
        max_concurrency: LitInt => [Schedule],
        immediately: LitBool => [Schedule],
        singleton: LitBool => [Schedule],
        tz: LitStr => [Schedule],
        timeout: LitStr => [Amqp, Sse, Sqs, Schedule],
        idle_timeout: LitStr => [Sse],
        max_event_size: LitInt => [Sse],
        wait_time: LitStr => [Sqs],
        visibility_timeout: LitStr => [Sqs],
        retries: LitInt => [Amqp, Sqs],
        retry_delay: Delays => [Amqp, Sqs],
        dead_letter: LitStr => [Amqp, Sqs],
        declare: LitBool => [Amqp],
        queue_type: LitStr => [Amqp],
        bind: StrList => [Amqp],
        exchange_type: LitStr => [Amqp],
        bind_headers: StrList => [Amqp],
        max_length: LitInt => [Amqp],
        overflow: LitStr => [Amqp],
        message_ttl: LitStr => [Amqp],
        delivery_limit: LitInt => [Amqp],
        single_active: LitBool => [Amqp],
        max_redeliveries: LitInt => [Amqp],
        error_handler: FnPath<kw::error_handler> => [Amqp, Sse, Sqs],
        layers: FnPath<kw::layers> => [Http],
        codec: CodecPath => [Amqp, Sse, Sqs],
        publishes: PublishList => [Amqp, Http, Sse, Sqs, Schedule],
    }
}

/// `error_handler = path::to::fn`, `layers = path::to::fn`: the path of a function, not a
/// string or a call; `K` is the key, which names itself in the errors.
pub(crate) struct FnPath<K>(pub(crate) syn::Path, std::marker::PhantomData<K>);

/// A key whose value is a [`FnPath`], and how it is written.
pub(crate) trait FnKey {
    /// `error_handler = on_failure`.
    const EXAMPLE: &'static str;
}

impl FnKey for kw::error_handler {
    const EXAMPLE: &'static str = "error_handler = on_failure";
}

impl FnKey for kw::layers {
    const EXAMPLE: &'static str = "layers = auth::layers";
}

impl<K: FnKey> Parse for FnPath<K> {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let key = K::EXAMPLE.split(' ').next().unwrap_or_default();
        if input.peek(LitStr) {
            return Err(input.error(format!(
                "`{key}` takes the path of a function, not a string: `{}`",
                K::EXAMPLE
            )));
        }
        let path: syn::Path = input.parse()?;
        if input.peek(token::Paren) {
            return Err(input.error(format!(
                "`{key}` takes the path of a function, not a call: `{}`",
                K::EXAMPLE
            )));
        }
        Ok(FnPath(path, std::marker::PhantomData))
    }
}

/// `retry_delay = "10s"`, or one delay per tier: `retry_delay = ["1s", "30s", "5m"]`.
pub(crate) enum Delays {
    One(LitStr),
    Tiers(StrList),
}

impl Parse for Delays {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(token::Bracket) {
            input.parse().map(Delays::Tiers)
        } else if input.peek(LitStr) {
            input.parse().map(Delays::One)
        } else {
            Err(input.error(
                "`retry_delay` takes a duration (\"10s\") or one per tier ([\"1s\", \"30s\"])",
            ))
        }
    }
}

/// `codec = my::Csv`: the type that decodes the route's bodies.
pub(crate) struct CodecPath(pub(crate) syn::Path);

impl Parse for CodecPath {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        input.parse().map(CodecPath).map_err(|_| {
            input.error(
                "`codec` takes the path of a type implementing `asyncworker::codec::Codec<T>`: \
                 `codec = my::Csv` or `codec = asyncworker::codec::MsgPack`",
            )
        })
    }
}

/// `["q1", "q2"]`: the queues of a queue consumer; `K` is its backend key, which names itself
/// in the errors.
pub(crate) struct Queues<K> {
    pub(crate) bracket: token::Bracket,
    pub(crate) names: syn::punctuated::Punctuated<LitStr, syn::Token![,]>,
    key: std::marker::PhantomData<K>,
}

/// A backend key whose value is a [`Queues`].
pub(crate) trait QueueKey {
    /// The key as written: `amqp`.
    const NAME: &'static str;
}

impl QueueKey for kw::amqp {
    const NAME: &'static str = "amqp";
}

impl QueueKey for kw::sqs {
    const NAME: &'static str = "sqs";
}

impl<K: QueueKey> Parse for Queues<K> {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(token::Bracket) {
            let key = K::NAME;
            return Err(input.error(format!(
                "`{key}` takes a list of queues: `{key} = [\"queue\", ...]`"
            )));
        }
        let StrList { bracket, items } = input.parse()?;
        Ok(Queues {
            bracket,
            names: items,
            key: std::marker::PhantomData,
        })
    }
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = RouteArgs::default();
        let errors = parse_list(input, |input| args.parse_one(input))?;
        args.errors.extend(errors);
        Ok(args)
    }
}

impl RouteArgs {
    fn parse_one(&mut self, input: ParseStream) -> syn::Result<()> {
        let key = peek_key(input);
        let result = self.parse_key(key.as_deref(), input);
        if let (Err(_), Some(key)) = (&result, key) {
            self.malformed.push(key);
        }
        result
    }

    /// The keys offered for an unknown one: the backend's, or AMQP's before any backend.
    fn expected_keys(&self) -> Vec<&'static str> {
        self.backend
            .as_ref()
            .map_or(Backend::Amqp, BackendArg::backend)
            .keys()
    }

    /// Whether `key` was written, even with an argument that did not parse.
    pub(crate) fn given(&self, key: &str) -> bool {
        self.malformed.iter().any(|k| k == key) || self.present().iter().any(|(k, _)| *k == key)
    }

    /// Reports every key the route's backend does not take, at the key.
    pub(crate) fn reject_foreign(&self, backend: &BackendArg, errors: &mut Errors) {
        let valid = backend.backend().keys();
        for (key, span) in self.present() {
            if !valid.contains(&key) {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "`{key}` does not apply to `{}` routes\nvalid arguments: {}",
                        backend.name(),
                        valid.join(", ")
                    ),
                ));
            }
        }
    }

    fn set_backend(&mut self, backend: BackendArg) {
        let span = backend.span();
        match &self.backend {
            None => self.backend = Some(backend),
            Some(first) if first.name() == backend.name() => self.errors.push(syn::Error::new(
                span,
                format!("duplicate `{}` argument", backend.name()),
            )),
            Some(first) => self.errors.push(syn::Error::new(
                span,
                format!(
                    "a route has exactly one backend; found `{}` and `{}`",
                    first.name(),
                    backend.name()
                ),
            )),
        }
    }
}
