//! Syntax of the `#[route(...)]` arguments. Meaning (ranges, combinations) is checked later, so
//! that a syntax error in one argument does not hide a semantic error in another.

use proc_macro2::{Ident, Span, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{LitBool, LitInt, LitStr, Token, bracketed, token};

/// The keys an AMQP route accepts, as listed (and offered as typo fixes) when another one is met.
pub(crate) const AMQP_KEYS: &[&str] = &[
    "amqp",
    "name",
    "vhost",
    "connection",
    "bulk_size",
    "bulk_flush",
    "prefetch",
    "concurrency",
    "on_success",
    "on_exception",
    "on_decode_error",
    "timeout",
    "retries",
    "retry_delay",
    "dead_letter",
    "declare",
    "queue_type",
];

/// Every key `#[route]` knows.
pub(crate) mod kw {
    syn::custom_keyword!(amqp);
    syn::custom_keyword!(http);
    syn::custom_keyword!(sse);
    syn::custom_keyword!(every);
    syn::custom_keyword!(cron);
    syn::custom_keyword!(name);
    syn::custom_keyword!(vhost);
    syn::custom_keyword!(connection);
    syn::custom_keyword!(bulk_size);
    syn::custom_keyword!(bulk_flush);
    syn::custom_keyword!(prefetch);
    syn::custom_keyword!(concurrency);
    syn::custom_keyword!(on_success);
    syn::custom_keyword!(on_exception);
    syn::custom_keyword!(on_decode_error);
    syn::custom_keyword!(timeout);
    syn::custom_keyword!(retries);
    syn::custom_keyword!(retry_delay);
    syn::custom_keyword!(dead_letter);
    syn::custom_keyword!(declare);
    syn::custom_keyword!(queue_type);
    syn::custom_keyword!(methods);
    syn::custom_keyword!(url);
    syn::custom_keyword!(headers);
    syn::custom_keyword!(idle_timeout);
    syn::custom_keyword!(max_event_size);
    syn::custom_keyword!(max_concurrency);
    syn::custom_keyword!(immediately);
}

/// The keys a scheduled route (`every` or `cron`) accepts.
pub(crate) const SCHEDULE_KEYS: &[&str] = &[
    "every",
    "cron",
    "name",
    "max_concurrency",
    "immediately",
    "timeout",
];

/// The keys an HTTP route accepts.
pub(crate) const HTTP_KEYS: &[&str] = &["http", "name", "methods"];

/// The keys an SSE route accepts.
pub(crate) const SSE_KEYS: &[&str] = &[
    "sse",
    "name",
    "url",
    "headers",
    "bulk_size",
    "bulk_flush",
    "concurrency",
    "timeout",
    "idle_timeout",
    "max_event_size",
];

/// `["a", "b"]`: a bracketed list of string literals (paths, methods, headers).
pub(crate) struct StrList {
    pub(crate) bracket: token::Bracket,
    pub(crate) items: Punctuated<LitStr, Token![,]>,
}

impl Parse for StrList {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(token::Bracket) {
            return Err(input.error("expected a list of strings: `[\"...\", ...]`"));
        }
        let content;
        let bracket = bracketed!(content in input);
        match content.parse_terminated(<LitStr as Parse>::parse, Token![,]) {
            Ok(items) => Ok(StrList { bracket, items }),
            Err(err) => {
                skip_while(&content, |_| true)?;
                Err(err)
            }
        }
    }
}

/// A `key = value` argument; the key token is kept so later errors can point at it.
pub(crate) struct Arg<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
}

/// `["q1", "q2"]`.
pub(crate) struct Queues {
    pub(crate) bracket: token::Bracket,
    pub(crate) names: Punctuated<LitStr, Token![,]>,
}

impl Parse for Queues {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if !input.peek(token::Bracket) {
            return Err(input.error("`amqp` takes a list of queues: `amqp = [\"queue\", ...]`"));
        }
        let content;
        let bracket = bracketed!(content in input);
        match content.parse_terminated(<LitStr as Parse>::parse, Token![,]) {
            Ok(names) => Ok(Queues { bracket, names }),
            Err(err) => {
                // A nested buffer dropped with tokens left makes syn replace every collected
                // error with a bare "unexpected token", so consume the rest first.
                skip_while(&content, |_| true)?;
                Err(err)
            }
        }
    }
}

/// The key that picks the backend.
pub(crate) enum Backend {
    Amqp(Arg<kw::amqp, Queues>),
    Http(Arg<kw::http, StrList>),
    Sse(Arg<kw::sse, StrList>),
    Every(Arg<kw::every, LitStr>),
    Cron(Arg<kw::cron, LitStr>),
}

impl Backend {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Backend::Amqp(_) => "amqp",
            Backend::Http(_) => "http",
            Backend::Sse(_) => "sse",
            Backend::Every(_) => "every",
            Backend::Cron(_) => "cron",
        }
    }
}

/// Parsed `#[route(...)]` arguments, plus the syntax errors met on the way.
#[derive(Default)]
pub(crate) struct RouteArgs {
    pub(crate) backend: Option<Backend>,
    pub(crate) name: Option<Arg<kw::name, LitStr>>,
    pub(crate) vhost: Option<Arg<kw::vhost, LitStr>>,
    pub(crate) connection: Option<Arg<kw::connection, LitStr>>,
    pub(crate) bulk_size: Option<Arg<kw::bulk_size, LitInt>>,
    pub(crate) bulk_flush: Option<Arg<kw::bulk_flush, LitStr>>,
    pub(crate) prefetch: Option<Arg<kw::prefetch, LitInt>>,
    pub(crate) concurrency: Option<Arg<kw::concurrency, LitInt>>,
    pub(crate) on_success: Option<Arg<kw::on_success, LitStr>>,
    pub(crate) on_exception: Option<Arg<kw::on_exception, LitStr>>,
    pub(crate) on_decode_error: Option<Arg<kw::on_decode_error, LitStr>>,
    pub(crate) timeout: Option<Arg<kw::timeout, LitStr>>,
    pub(crate) retries: Option<Arg<kw::retries, LitInt>>,
    pub(crate) retry_delay: Option<Arg<kw::retry_delay, LitStr>>,
    pub(crate) dead_letter: Option<Arg<kw::dead_letter, LitStr>>,
    pub(crate) declare: Option<Arg<kw::declare, LitBool>>,
    pub(crate) queue_type: Option<Arg<kw::queue_type, LitStr>>,
    pub(crate) methods: Option<Arg<kw::methods, StrList>>,
    pub(crate) url: Option<Arg<kw::url, LitStr>>,
    pub(crate) headers: Option<Arg<kw::headers, StrList>>,
    pub(crate) idle_timeout: Option<Arg<kw::idle_timeout, LitStr>>,
    pub(crate) max_event_size: Option<Arg<kw::max_event_size, LitInt>>,
    pub(crate) max_concurrency: Option<Arg<kw::max_concurrency, LitInt>>,
    pub(crate) immediately: Option<Arg<kw::immediately, LitBool>>,
    /// Known keys whose argument failed to parse (reported already): checks that need such a
    /// key (`retry_delay` needs `retries`) stay quiet rather than repeat the mistake.
    pub(crate) malformed: Vec<String>,
    /// Syntax errors; parsing recovers at the next comma so every argument gets checked.
    pub(crate) errors: Vec<syn::Error>,
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

    fn parse_key(&mut self, key: Option<&str>, input: ParseStream) -> syn::Result<()> {
        let errors = &mut self.errors;
        match key {
            Some("amqp") => {
                let key: kw::amqp = input.parse()?;
                input.parse::<Token![=]>()?;
                let value = input.parse()?;
                self.set_backend(Backend::Amqp(Arg { key, value }), key.span);
            }
            Some("http") => {
                let key: kw::http = input.parse()?;
                input.parse::<Token![=]>()?;
                let value = input.parse()?;
                self.set_backend(Backend::Http(Arg { key, value }), key.span);
            }
            Some("sse") => {
                let key: kw::sse = input.parse()?;
                input.parse::<Token![=]>()?;
                let value = input.parse()?;
                self.set_backend(Backend::Sse(Arg { key, value }), key.span);
            }
            Some("methods") => field(&mut self.methods, "methods", input, errors)?,
            Some("url") => field(&mut self.url, "url", input, errors)?,
            Some("headers") => field(&mut self.headers, "headers", input, errors)?,
            Some("idle_timeout") => field(&mut self.idle_timeout, "idle_timeout", input, errors)?,
            Some("max_event_size") => {
                field(&mut self.max_event_size, "max_event_size", input, errors)?;
            }
            Some("every") => {
                let key: kw::every = input.parse()?;
                input.parse::<Token![=]>()?;
                let value = input.parse()?;
                self.set_backend(Backend::Every(Arg { key, value }), key.span);
            }
            Some("cron") => {
                let key: kw::cron = input.parse()?;
                input.parse::<Token![=]>()?;
                let value = input.parse()?;
                self.set_backend(Backend::Cron(Arg { key, value }), key.span);
            }
            Some("max_concurrency") => {
                field(&mut self.max_concurrency, "max_concurrency", input, errors)?;
            }
            Some("immediately") => field(&mut self.immediately, "immediately", input, errors)?,
            Some("name") => field(&mut self.name, "name", input, errors)?,
            Some("vhost") => field(&mut self.vhost, "vhost", input, errors)?,
            Some("connection") => field(&mut self.connection, "connection", input, errors)?,
            Some("bulk_size") => field(&mut self.bulk_size, "bulk_size", input, errors)?,
            Some("bulk_flush") => field(&mut self.bulk_flush, "bulk_flush", input, errors)?,
            Some("prefetch") => field(&mut self.prefetch, "prefetch", input, errors)?,
            Some("concurrency") => field(&mut self.concurrency, "concurrency", input, errors)?,
            Some("on_success") => field(&mut self.on_success, "on_success", input, errors)?,
            Some("on_exception") => field(&mut self.on_exception, "on_exception", input, errors)?,
            Some("on_decode_error") => {
                field(&mut self.on_decode_error, "on_decode_error", input, errors)?;
            }
            Some("timeout") => field(&mut self.timeout, "timeout", input, errors)?,
            Some("retries") => field(&mut self.retries, "retries", input, errors)?,
            Some("retry_delay") => field(&mut self.retry_delay, "retry_delay", input, errors)?,
            Some("dead_letter") => field(&mut self.dead_letter, "dead_letter", input, errors)?,
            Some("declare") => field(&mut self.declare, "declare", input, errors)?,
            Some("queue_type") => field(&mut self.queue_type, "queue_type", input, errors)?,
            _ => {
                let valid = match &self.backend {
                    Some(Backend::Http(_)) => HTTP_KEYS,
                    Some(Backend::Sse(_)) => SSE_KEYS,
                    Some(Backend::Every(_) | Backend::Cron(_)) => SCHEDULE_KEYS,
                    _ => AMQP_KEYS,
                };
                return Err(unknown_argument(input, valid));
            }
        }
        Ok(())
    }

    /// Every key given, with its span (the backend key excluded).
    pub(crate) fn present(&self) -> Vec<(&'static str, Span)> {
        fn at<K: syn::spanned::Spanned, V>(
            out: &mut Vec<(&'static str, Span)>,
            name: &'static str,
            arg: &Option<Arg<K, V>>,
        ) {
            if let Some(a) = arg {
                out.push((name, a.key.span()));
            }
        }
        let mut out = Vec::new();
        at(&mut out, "name", &self.name);
        at(&mut out, "vhost", &self.vhost);
        at(&mut out, "connection", &self.connection);
        at(&mut out, "bulk_size", &self.bulk_size);
        at(&mut out, "bulk_flush", &self.bulk_flush);
        at(&mut out, "prefetch", &self.prefetch);
        at(&mut out, "concurrency", &self.concurrency);
        at(&mut out, "on_success", &self.on_success);
        at(&mut out, "on_exception", &self.on_exception);
        at(&mut out, "on_decode_error", &self.on_decode_error);
        at(&mut out, "timeout", &self.timeout);
        at(&mut out, "retries", &self.retries);
        at(&mut out, "retry_delay", &self.retry_delay);
        at(&mut out, "dead_letter", &self.dead_letter);
        at(&mut out, "declare", &self.declare);
        at(&mut out, "queue_type", &self.queue_type);
        at(&mut out, "methods", &self.methods);
        at(&mut out, "url", &self.url);
        at(&mut out, "headers", &self.headers);
        at(&mut out, "idle_timeout", &self.idle_timeout);
        at(&mut out, "max_event_size", &self.max_event_size);
        at(&mut out, "max_concurrency", &self.max_concurrency);
        at(&mut out, "immediately", &self.immediately);
        out
    }

    /// Whether `key` was written, even with an argument that did not parse.
    pub(crate) fn given(&self, key: &str) -> bool {
        self.malformed.iter().any(|k| k == key) || self.present().iter().any(|(k, _)| *k == key)
    }

    /// Reports every key the backend does not take, at the key.
    pub(crate) fn reject_foreign(
        &self,
        backend: &str,
        valid: &[&str],
        errors: &mut crate::errors::Errors,
    ) {
        for (key, span) in self.present() {
            if !valid.contains(&key) {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "`{key}` does not apply to `{backend}` routes\nvalid arguments: {}",
                        valid.join(", ")
                    ),
                ));
            }
        }
    }

    fn set_backend(&mut self, backend: Backend, span: Span) {
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

/// Parses `key = value`; a repeated key is reported at its second occurrence.
pub(crate) fn field<K: Parse, V: Parse>(
    slot: &mut Option<Arg<K, V>>,
    name: &str,
    input: ParseStream,
    errors: &mut Vec<syn::Error>,
) -> syn::Result<()> {
    let span = input.span();
    let key = input.parse()?;
    input.parse::<Token![=]>()?;
    let value = input.parse()?;
    if slot.is_some() {
        errors.push(syn::Error::new(
            span,
            format!("duplicate `{name}` argument"),
        ));
    } else {
        *slot = Some(Arg { key, value });
    }
    Ok(())
}

/// The next token as a key name, if it is an identifier (keywords included, `r#` stripped).
fn peek_key(input: ParseStream) -> Option<String> {
    input
        .fork()
        .call(Ident::parse_any)
        .ok()
        .map(|ident| ident.unraw().to_string())
}

/// The error for a key that is not one of `valid`, at that key: the closest valid key when it is
/// a likely typo, then the whole list.
/// A count from 1 to 65535 (bulk sizes, prefetch, concurrency); `why` follows the upper bound
/// in the message, e.g. " (it must fit the u16 prefetch)".
pub(crate) fn count_u16(key: &str, lit: &LitInt, why: &str) -> syn::Result<u16> {
    // Digits too large even for i128 are just "too large"; negative digits are "too small".
    let value = lit.base10_parse::<i128>().unwrap_or(i128::MAX);
    if value < 1 {
        return Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must be at least 1"),
        ));
    }
    u16::try_from(value)
        .map_err(|_| syn::Error::new(lit.span(), format!("`{key}` must be at most 65535{why}")))
}

pub(crate) fn unknown_argument(input: ParseStream, valid: &[&str]) -> syn::Error {
    let list = format!("valid arguments: {}", valid.join(", "));
    match input.fork().call(Ident::parse_any) {
        Ok(ident) => {
            let name = ident.unraw().to_string();
            let suggestion = closest(&name, valid)
                .map(|key| format!("; did you mean `{key}`?"))
                .unwrap_or_default();
            syn::Error::new(
                ident.span(),
                format!("unknown argument `{name}`{suggestion}\n{list}"),
            )
        }
        Err(_) => input.error(format!("expected an argument name\n{list}")),
    }
}

/// The valid key nearest to `name`, if near enough to be a typo: at most one edit for short
/// names, a third of the length for longer ones.
fn closest<'a>(name: &str, valid: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (lower.chars().count() / 3).max(1);
    valid
        .iter()
        .map(|key| (edit_distance(&lower, key), *key))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

/// Levenshtein distance, with a swap of two adjacent characters counting as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the dynamic-programming table: two back (for swaps), previous, current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

/// Comma-separated arguments (trailing comma allowed). An argument that fails to parse is
/// recorded and skipped up to the next comma, so one typo does not hide the other mistakes.
pub(crate) fn parse_list(
    input: ParseStream,
    mut one: impl FnMut(ParseStream) -> syn::Result<()>,
) -> syn::Result<Vec<syn::Error>> {
    let mut errors = Vec::new();
    while !input.is_empty() {
        if let Err(err) = one(input) {
            errors.push(err);
            skip_while(input, |tt| !is_comma(tt))?;
        }
        if input.is_empty() {
            break;
        }
        if let Err(err) = input.parse::<Token![,]>() {
            errors.push(err);
            skip_while(input, |tt| !is_comma(tt))?;
            // Progress is guaranteed: either the input is exhausted or a comma follows.
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
    }
    Ok(errors)
}

fn is_comma(tt: &TokenTree) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == ',')
}

/// Consumes whole token trees (a bracketed list is one) while `keep_going` holds.
fn skip_while(input: ParseStream, keep_going: impl Fn(&TokenTree) -> bool) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if !keep_going(&tt) {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}
